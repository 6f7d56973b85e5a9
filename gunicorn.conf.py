"""gunicorn settings read by `make run` (gunicorn loads ./gunicorn.conf.py by default; the command
line's --workers and --bind still apply). Kept to what the app needs of its server."""
import ctypes
import ctypes.util
import gc
import logging
import threading

# Garbage collection in a worker: the app's own objects (modules, templates, the search's arrays) are
# set aside from collection once it has loaded, and the youngest generation is collected every
# 20,000 net allocations instead of 700: a search allocates a few thousand short-lived objects
# (rows, cards, JSON) and freed nearly all by reference counting, yet the default thresholds spent
# about 6% of an uncached search collecting and once every few thousand searches stalled one on a
# full collection (bench/README.md, fourth round).
GC_THRESHOLDS = (20_000, 20, 100)


# glibc's malloc serves a large block (a column of the search's places) from its own memory map, given back
# when freed, only above a threshold that rises to the size of each such block freed: after the first
# reload, new columns came from the heap, which keeps what is freed. A worker at a million listings then
# held 280-340 MB instead of 235 (bench/README.md, seventh round). A fixed threshold keeps them mapped.
# At 2 MiB: a million listings' columns are larger (1.7-8.8 MB), and a search's own arrays, up to a
# 100-mile circle's 200,000 places (1.6 MB), come from the heap and its pages are used again; at 128 KiB
# each was a new map whose every page faulted in (a million: API p50 3.0-5.2 -> 2.1-2.2 ms, the same
# memory: bench/README.md, tenth round).
MMAP_THRESHOLD = 2 * 1024 * 1024
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)


def fix_malloc_mmap_threshold() -> None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    except (OSError, AttributeError):  # not glibc: nothing to set
        pass


def post_worker_init(worker):
    """Load the search's places into the worker's memory as it starts, in the background.

    At a million listings that takes seconds (directory/place_index.py); without this the first
    search a worker gets would wait for it. A failure (no database yet) only leaves it to that search.
    """
    fix_malloc_mmap_threshold()
    def warm():
        try:
            from directory import place_index

            place_index.warm(worker.wsgi)
        except Exception:  # noqa: BLE001 - the first search loads it instead, and says why if it fails
            logging.getLogger("gunicorn.error").warning("search places not loaded at start", exc_info=True)

    threading.Thread(target=warm, name="warm-search-places", daemon=True).start()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
