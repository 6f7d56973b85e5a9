"""gunicorn settings read by `make run` (gunicorn loads ./gunicorn.conf.py by default; the command
line's --workers and --bind still apply). Kept to what the app needs of its server."""
import logging
import threading


def post_worker_init(worker):
    """Load the search's places into the worker's memory as it starts, in the background.

    At a million listings that takes seconds (directory/place_index.py); without this the first
    search a worker gets would wait for it. A failure (no database yet) only leaves it to that search.
    """
    def warm():
        try:
            from directory import place_index

            place_index.warm(worker.wsgi)
        except Exception:  # noqa: BLE001 - the first search loads it instead, and says why if it fails
            logging.getLogger("gunicorn.error").warning("search places not loaded at start", exc_info=True)

    threading.Thread(target=warm, name="warm-search-places", daemon=True).start()
