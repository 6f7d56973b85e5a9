"""gunicorn settings for bench/serve.sh: each worker writes its search cache counts when it stops."""
import json
import os


def worker_exit(server, worker):
    import app as module  # the worker's app (gunicorn imported app:app)

    cache = module.app.extensions.get("search_cache")
    stats = {"pid": worker.pid, "cache": None if cache is None else cache.stats}
    path = os.environ.get("SEARCH_CACHE_STATS")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(stats) + "\n")
