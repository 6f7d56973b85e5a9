"""The places of the search index, in this process's memory, as NumPy columns.

search.py measures circles here rather than in the database. A radius search
reads every place in its circle (100 miles around New York holds 90,000 of a
million listings): in SQL that was a pass over index rows, about 0.25 µs each
plus the statements' own cost, and it made a search that nothing had cached
cost a worker 6-15 ms. Here the circle is a few binary searches and vectorised
arithmetic over contiguous columns, and the count is exact at any size.

What is kept: every SearchEntry row with a place, sorted by (latitude band,
longitude) like ix_search_entry_place, whose index-only scan loads them; about
80 bytes a place, some 90 MB at a million listings. And, for counting them,
the remote-only listings' rows (one per service area), sorted by area: at a
million listings a state and the country hold tens of thousands, which SQL
counted in about a millisecond. Their page stays in SQL, where the area index
gives it in the database's collation.

Never stale: before each search, the search generation is read (one row,
search_index.current_state). When it has moved, the listings that
search_index_change names after the last seq this copy applied are read again;
when the epoch has moved (a rebuild, or the state row made anew), everything
is. The copy is then at least as new as the generation the search saw.

A connection whose own transaction has rewritten entries not yet committed
(search_index marks it, see `_pending`) gets a private copy with those
changes, so it finds what it wrote; the shared copy only ever holds what
was committed.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, replace

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from . import search_index
from .geo import BAND_DEGREES, Box
from .models import SearchEntry
from .models.search_entry import SearchIndexChange

# (latitude band, longitude) as one sortable number: bands are whole numbers
# below 180 / BAND_DEGREES, longitudes + 180 lie in [0, 360].
_BAND_STRIDE = 1000.0
_NEVER = 0  # fresh_until of an entry without one: as in SQL, NULL >= today is never true

_COLUMNS = (SearchEntry.band, SearchEntry.longitude, SearchEntry.latitude, SearchEntry.x, SearchEntry.y,
            SearchEntry.z, SearchEntry.filter_bits_1, SearchEntry.filter_bits_2, SearchEntry.listing_id,
            SearchEntry.location_id, SearchEntry.fresh_until, SearchEntry.listing_places)
_FIELDS = ("key", "lon", "lat", "x", "y", "z", "bits_1", "bits_2", "listing_id", "location_id", "fresh", "places")
_DTYPES = (np.float64, np.float64, np.float64, np.float64, np.float64, np.float64, np.int64, np.int64, np.int32,
           np.int32, np.int32, np.int16)
_PLACES = select(*_COLUMNS).where(SearchEntry.band.is_not(None))
_REMOTE_COLUMNS = (SearchEntry.area, SearchEntry.listing_id, SearchEntry.filter_bits_1, SearchEntry.filter_bits_2,
                   SearchEntry.fresh_until)
_REMOTE_FIELDS = ("area", "listing_id", "bits_1", "bits_2", "fresh")
_REMOTE_DTYPES = ("<U2", np.int32, np.int64, np.int64, np.int32)
_REMOTE = select(*_REMOTE_COLUMNS).where(SearchEntry.area.is_not(None))
_LOAD_BATCH = 50_000
RELOAD_SHARE = 0.2  # changed listings beyond this share of the entries: reloading everything is cheaper


@dataclass(frozen=True)
class Remote:
    """The remote-only listings' entries, one per (listing, service area), sorted by area."""

    area: np.ndarray  # a state's code or "US"
    listing_id: np.ndarray
    bits_1: np.ndarray
    bits_2: np.ndarray
    fresh: np.ndarray

    def in_area(self, area: str) -> slice:
        return slice(int(self.area.searchsorted(area, "left")), int(self.area.searchsorted(area, "right")))


@dataclass(frozen=True)
class Places:
    """One immutable copy of the places (replaced, never changed, so threads can share it)."""

    key: np.ndarray  # band * _BAND_STRIDE + longitude + 180, ascending
    lon: np.ndarray
    lat: np.ndarray
    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    bits_1: np.ndarray
    bits_2: np.ndarray
    listing_id: np.ndarray
    location_id: np.ndarray
    fresh: np.ndarray  # fresh_until as a date ordinal
    places: np.ndarray  # how many places the listing has
    remote: Remote
    generation: int | None = None
    epoch: int | None = None
    seq: int = 0  # the last change applied

    @property
    def size(self) -> int:
        return len(self.key)

    def in_boxes(self, boxes: list[Box]) -> np.ndarray:
        """Positions of the places in the boxes' bands and longitude ranges (a superset of the boxes)."""
        lows, highs = [], []
        for box in boxes:
            bands = np.arange(int((box.lat_min + 90.0) / BAND_DEGREES), int((box.lat_max + 90.0) / BAND_DEGREES) + 1,
                              dtype=np.float64) * _BAND_STRIDE
            lows.append(bands + (box.lon_min + 180.0))
            highs.append(bands + (box.lon_max + 180.0))
        starts = self.key.searchsorted(np.concatenate(lows), "left")
        ends = self.key.searchsorted(np.concatenate(highs), "right")
        lengths = ends - starts
        total = int(lengths.sum())
        if total == 0:
            return np.empty(0, dtype=np.int64)
        # Concatenated ranges without a Python loop: each run continues from its own start.
        return np.arange(total, dtype=np.int64) + np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)


def _fresh_days(days) -> list[int]:
    return [_NEVER if day is None else day.toordinal() for day in days]


def _place_columns(rows: list) -> list[np.ndarray]:
    """Rows of _COLUMNS -> arrays in _FIELDS order."""
    if not rows:
        return [np.empty(0, dtype=dtype) for dtype in _DTYPES]
    band, lon, lat, x, y, z, bits_1, bits_2, listing_id, location_id, fresh, places = zip(*rows)
    lon_array = np.array(lon, dtype=np.float64)
    key = np.array(band, dtype=np.float64) * _BAND_STRIDE + (lon_array + 180.0)
    values = (key, lon_array, lat, x, y, z, bits_1, bits_2, listing_id, location_id, _fresh_days(fresh), places)
    return [value if isinstance(value, np.ndarray) else np.array(value, dtype=dtype)
            for value, dtype in zip(values, _DTYPES)]


def _remote_columns(rows: list) -> list[np.ndarray]:
    """Rows of _REMOTE_COLUMNS -> arrays in _REMOTE_FIELDS order."""
    if not rows:
        return [np.empty(0, dtype=dtype) for dtype in _REMOTE_DTYPES]
    area, listing_id, bits_1, bits_2, fresh = zip(*rows)
    return [np.array(value, dtype=dtype)
            for value, dtype in zip((area, listing_id, bits_1, bits_2, _fresh_days(fresh)), _REMOTE_DTYPES)]


def _read(connection: Connection, stmt, columns_of) -> list[np.ndarray]:
    """The statement's rows as arrays (columns_of makes them), read in batches."""
    # Per statement: Connection.execution_options() would change the caller's connection for good.
    parts = [columns_of(rows) for rows in connection.execute(stmt, execution_options={"yield_per": _LOAD_BATCH})
             .partitions(_LOAD_BATCH)]
    if not parts:
        return columns_of([])
    return [np.concatenate(column) for column in zip(*parts)]


def _merged(kept: list[np.ndarray], new: list[np.ndarray]) -> list[np.ndarray]:
    """Sorted columns (by the first) with new rows put in their places."""
    order = np.argsort(new[0], kind="stable")
    new = [column[order] for column in new]
    at = kept[0].searchsorted(new[0])
    return [np.insert(old, at, added) for old, added in zip(kept, new)]


def _last_seq(connection: Connection) -> int:
    return connection.execute(select(func.coalesce(func.max(SearchIndexChange.seq), 0))).scalar_one()


def load(connection: Connection, generation: int | None = None, epoch: int | None = None) -> Places:
    """Every place, read as this connection sees the database now."""
    seq = _last_seq(connection)  # first: changes committed while loading are applied again later
    columns = _read(connection, _PLACES.order_by(SearchEntry.band, SearchEntry.longitude), _place_columns)
    remote = Remote(*_read(connection, _REMOTE.order_by(SearchEntry.area), _remote_columns))
    return Places(*columns, remote=remote, generation=generation, epoch=epoch, seq=seq)


def _with_changes(places: Places, connection: Connection, generation: int, epoch: int | None) -> Places:
    """`places` with the listings changed since its seq read again (or everything, when that is cheaper or needed)."""
    changes = connection.execute(select(SearchIndexChange.seq, SearchIndexChange.listing_id)
                                 .where(SearchIndexChange.seq > places.seq).order_by(SearchIndexChange.seq)).all()
    if not changes:  # e.g. an organization renamed: nothing search measures
        return replace(places, generation=generation, epoch=epoch)
    changed = np.unique(np.fromiter((listing_id for _, listing_id in changes), dtype=np.int32, count=len(changes)))
    pruned = changes[-1].seq - places.seq > search_index.KEEP_CHANGES  # the log may have lost some
    if pruned or len(changed) > RELOAD_SHARE * max(1, places.size + len(places.remote.listing_id)):
        return load(connection, generation, epoch)
    new_places, new_remote = [], []
    for ids in np.array_split(changed, max(1, len(changed) // 500 + 1)):
        ids = ids.tolist()
        new_places.append(_read(connection, _PLACES.where(SearchEntry.listing_id.in_(ids)), _place_columns))
        new_remote.append(_read(connection, _REMOTE.where(SearchEntry.listing_id.in_(ids)), _remote_columns))
    keep = ~np.isin(places.listing_id, changed)
    columns = _merged([getattr(places, name)[keep] for name in _FIELDS],
                      [np.concatenate(column) for column in zip(*new_places)])
    keep = ~np.isin(places.remote.listing_id, changed)
    remote = Remote(*_merged([getattr(places.remote, name)[keep] for name in _REMOTE_FIELDS],
                             [np.concatenate(column) for column in zip(*new_remote)]))
    return Places(*columns, remote=remote, generation=generation, epoch=epoch, seq=changes[-1].seq)


class PlaceIndex:
    """The app's copy of the places, brought up to date before each use."""

    def __init__(self):
        self.places: Places | None = None
        self.lock = threading.Lock()

    def current(self, connection: Connection, state: tuple[int, int | None] | None) -> Places:
        """The places as `connection` sees them (its own uncommitted rewrites included).

        `state` is search_index.current_state(connection), read by the caller for this search.
        """
        pending = search_index.has_pending_rewrites(connection)
        if state is None:  # no state row (tables just emptied): nothing to follow, so read it all
            return load(connection)
        generation, epoch = state
        with self.lock:
            places = self.places
            if places is not None and places.generation == generation and places.epoch == epoch:
                return places
            if places is None or places.epoch != epoch:
                places = load(connection, generation, epoch)
            else:
                places = _with_changes(places, connection, generation, epoch)
            if not pending:  # only what is committed is shared
                self.places = places
            return places


def for_app(app) -> PlaceIndex:
    index = app.extensions.get("place_index")
    if index is None:
        index = app.extensions["place_index"] = PlaceIndex()
    return index
