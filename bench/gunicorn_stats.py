"""gunicorn settings for bench/serve.sh: the app's own (gunicorn.conf.py), and each worker writes its
search cache counts when it stops."""
import json
import os
import runpy

# The served benchmark runs the settings `make run` runs (gunicorn reads one config file).
_APP_SETTINGS = runpy.run_path(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                            "gunicorn.conf.py"))
post_worker_init = _APP_SETTINGS["post_worker_init"]


def worker_exit(server, worker):
    import app as module  # the worker's app (gunicorn imported app:app)

    cache = module.app.extensions.get("search_cache")
    stats = {"pid": worker.pid, "cache": None if cache is None else cache.stats}
    path = os.environ.get("SEARCH_CACHE_STATS")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(stats) + "\n")
