"""Cached search answers that are never stale.

A key holds the search generation (search_index.bump_generation: every write
to what search shows changes it, in the writer's transaction), today's date
(listings leave search by date, and guidance names dates) and the normalised
query; for a JSON answer also the language and the URL root (its URLs are
absolute). A write therefore makes every earlier answer unreachable the moment
it commits, in every process, without anyone deleting anything; an answer is
reused only for requests that see the same data on the same day.

Two things are cached:
- `cached_rows`: what run_search found (total and the page's ids and
  distances), for /search and /counselors;
- `cached_json`: the API's whole response body (its rows are not kept
  apart: see run_search's keep_rows).

What is kept: an answer a process has computed SEARCH_CACHE_ADMIT_AFTER times
(default 2) since it last forgot which it had seen (it remembers up to
SEEN_KEYS). Most searches are asked once: kept at once, each pushed an answer
out of the small LRU, a repeated search's as readily as another one-off's, and
held 20 KB for nothing (served, with no search repeated: 0.5-1.3 points more
of the floor, within the benchmark's noise: bench/README.md, eleventh round).

Where: a small LRU in each process (SEARCH_CACHE_LOCAL_MB, default 4: about
150 API pages; a worker must stay well under 300 MB), and,
when SEARCH_CACHE_URL names a Redis server (redis://127.0.0.1:6379/2), there
too, shared by every worker, entries expiring after SEARCH_CACHE_TTL seconds
(default 3600; unreachable ones just age out). Redis being down only costs
speed: the cache stops asking it for a minute. SEARCH_CACHE_URL=off turns
caching off.
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections import OrderedDict
from datetime import date
from typing import Callable

import msgspec
from flask import current_app

from . import database, search_index
from .config import ConfigError
from .content import current_language
from .presenters import listing_url_prefix

log = logging.getLogger(__name__)
RETRY_REDIS_AFTER = 60.0  # seconds
SEEN_KEYS = 16_384  # keys _Admission counts before it forgets them all (1.2 MB)


class _LocalLRU:
    """Least recently used entries up to a number of bytes (thread-safe: gthread workers share it)."""

    def __init__(self, max_bytes: int):
        self.max_bytes, self.size = max_bytes, 0
        self.items: OrderedDict[str, bytes] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key: str, value: bytes) -> None:
        cost = len(value) + len(key) + 100
        if cost > self.max_bytes:
            return
        with self.lock:
            old = self.items.pop(key, None)
            if old is not None:
                self.size -= len(old) + len(key) + 100
            self.items[key] = value
            self.size += cost
            while self.size > self.max_bytes:
                old_key, old_value = self.items.popitem(last=False)
                self.size -= len(old_value) + len(old_key) + 100


class _Admission:
    """Whether to keep an answer: only once this process has computed it `after` times (thread-safe).

    Counts are kept by the key's hash for up to SEEN_KEYS keys, then all forgotten at once (a doorkeeper
    in the manner of TinyLFU's): bounded memory, and a search repeated within that many others is kept."""

    def __init__(self, after: int):
        self.after = after
        self.seen: dict[int, int] = {}
        self.lock = threading.Lock()

    def admits(self, key: str) -> bool:
        if self.after <= 1:
            return True
        digest = hash(key)
        with self.lock:
            times = self.seen.pop(digest, 0) + 1
            if times >= self.after:
                return True
            if len(self.seen) >= SEEN_KEYS:
                self.seen.clear()
            self.seen[digest] = times
            return False


class SearchCache:
    def __init__(self, redis_url: str | None, local_bytes: int, ttl: int, admit_after: int):
        self.local = _LocalLRU(local_bytes)
        self.admission = _Admission(admit_after)
        self.ttl = ttl
        self.redis = None
        self.redis_down_until = 0.0
        if redis_url:
            import redis

            self.redis = redis.Redis.from_url(redis_url, socket_timeout=0.1, socket_connect_timeout=0.1)
        self.stats: dict[str, dict[str, int]] = {}  # kind ("rows", "json") -> {"hit": n, "miss": n}

    @property
    def hits(self) -> int:
        return sum(counts["hit"] for counts in self.stats.values())

    def _redis_failed(self, error: Exception) -> None:
        log.warning("search cache: Redis unavailable (%s); using the process's own cache for %ss",
                    error, RETRY_REDIS_AFTER)
        self.redis_down_until = time.monotonic() + RETRY_REDIS_AFTER

    def _redis_usable(self) -> bool:
        return self.redis is not None and time.monotonic() >= self.redis_down_until

    def get(self, key: str) -> bytes | None:
        value = self.local.get(key)
        if value is None and self._redis_usable():
            try:
                value = self.redis.get(key)
            except Exception as error:  # noqa: BLE001 - any Redis failure: answer without it
                self._redis_failed(error)
            if value is not None:
                self.local.put(key, value)
        counts = self.stats.setdefault(key.split(":", 2)[1], {"hit": 0, "miss": 0})
        counts["miss" if value is None else "hit"] += 1
        return value

    def put(self, key: str, value: bytes) -> None:
        """Keep an answer just computed, if the admission policy admits it."""
        if not self.admission.admits(key):
            return
        self.local.put(key, value)
        if self._redis_usable():
            try:
                self.redis.set(key, value, ex=self.ttl)
            except Exception as error:  # noqa: BLE001
                self._redis_failed(error)


_OFF = ("off", "none", "0", "false")
_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
_MAX_LOCAL_MB = 4096  # a worker must stay well under 300 MB at a million listings: this only stops typos


def _settings(app) -> tuple[str, int, int, int]:
    """(url, local bytes, ttl, admit after), from the app's config or else the environment. A malformed one
    is a ConfigError that names it (check_settings: when the app is made, not at its first search)."""
    def setting(name: str, default: str) -> str:
        value = app.config.get(name)
        return str(value if value is not None else os.environ.get(name, default)).strip()

    def number(name: str, default: str, least: int, most: int, what: str, parse=int) -> float:
        text = setting(name, default)
        try:
            value = parse(text)
        except ValueError:
            value = None
        if value is None or not least <= value <= most:  # NaN too: it compares false
            raise ConfigError(f"{name} must be {what} from {least} to {most:,}, not {text[:40]!r}")
        return value

    url = setting("SEARCH_CACHE_URL", "")
    if url and url.lower() not in _OFF and not url.lower().startswith(_REDIS_SCHEMES):
        raise ConfigError(f"SEARCH_CACHE_URL must be a Redis URL (redis://host:port/db, rediss://, unix://) "
                          f"or off, not {url[:40]!r}")
    local_mb = number("SEARCH_CACHE_LOCAL_MB", "4", 0, _MAX_LOCAL_MB, "a number of megabytes", parse=float)
    return (url, int(local_mb * 1024 * 1024),
            number("SEARCH_CACHE_TTL", "3600", 1, 30 * 24 * 3600, "a whole number of seconds"),
            number("SEARCH_CACHE_ADMIT_AFTER", "2", 1, 1000, "a whole number"))


def check_settings(app) -> None:
    """Raise ConfigError now if a search cache setting is malformed (create_app calls it)."""
    _settings(app)


def get_cache() -> SearchCache | None:
    """The app's cache (made on first use from its settings), or None when caching is off."""
    app = current_app._get_current_object()
    if "search_cache" not in app.extensions:
        url, local_bytes, ttl, admit_after = _settings(app)
        off = url.lower() in _OFF or local_bytes <= 0
        app.extensions["search_cache"] = None if off else SearchCache(url or None, local_bytes, ttl, admit_after)
    return app.extensions["search_cache"]


def _query_key(query) -> str:
    filters = sorted((name, tuple(sorted(codes))) for name, codes in query.filters.items())
    return repr((query.zip, query.radius, filters, query.accepting_clients, query.q, query.page, query.per_page))


def today() -> date:
    """The day search compares entries' fresh_until with, and that keys carry."""
    return date.today()


def _key(kind: str, generation: int, parts: str) -> str:
    digest = hashlib.blake2b(parts.encode(), digest_size=16).hexdigest()
    return f"search:{kind}:{generation}:{today().isoformat()}:v2:{digest}"  # v2: rows without the estimate flag


def cached_rows(query, generation: int | None, compute: Callable[[], tuple[int, list]]) -> tuple[int, list]:
    """(total, [(listing_id, miles, location_id)]) for the query, computed at most once a generation.

    `generation` as the caller read it (search_index.current_state); None computes and keeps nothing.
    """
    cache = get_cache()
    if cache is None or generation is None:
        return compute()
    key = _key("rows", generation, _query_key(query))
    found = cache.get(key)
    if found is not None:
        total, rows = _decode_rows(found)
        return total, [tuple(row) for row in rows]
    result = compute()
    cache.put(key, _encode_rows(result))
    return result


def cached_json(query, compute: Callable[[object], dict]):
    """The JSON response for the query: the stored body if this generation made it, else compute(state) as JSON.

    compute gets the search state read here (search_index.current_state), so that a search
    behind a miss does not read it again.
    """
    cache = get_cache()
    state = generation = None
    if cache is not None:
        connection = database.read_connection()
        state = search_index.current_state(connection)
        generation = search_index.cache_generation(connection, state)
    if generation is None:
        return _json_response(_encode(compute(state)))
    # The body's guidance is in the reader's language, and its URLs start with this request's (what the
    # body's own are made from: request.url_root would check and quote the host anew on every search).
    key = _key("json", generation, f"{current_language()}|{listing_url_prefix(external=True)}|{_query_key(query)}")
    body = cache.get(key)
    if body is None:
        body = _encode(compute(state))
        cache.put(key, body)
    return _json_response(body)


# Rows as JSON, [total, [[listing_id, miles, location_id], ...]]: msgspec's, a fifth of the json module's time.
_encode_rows = msgspec.json.Encoder().encode
_decode_rows = msgspec.json.Decoder().decode

# A search's answer is plain JSON types (api/serialize.py's TypedDicts), keys sorted as Flask's own
# JSON has them; msgspec writes a page of results in about a quarter of the json module's time.
_encode = msgspec.json.Encoder(order="sorted").encode


def _json_response(body: bytes):
    return current_app.response_class(body, mimetype=current_app.json.mimetype)
