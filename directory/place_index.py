"""The places of the search index, in this process's memory, as NumPy columns.

search.py measures circles here rather than in the database. A radius search
reads every place in its circle (100 miles around New York holds 90,000 of a
million listings): in SQL that was a pass over index rows, about 0.25 µs each
plus the statements' own cost, and it made a search that nothing had cached
cost a worker 6-15 ms. Here the circle is a few binary searches and vectorised
arithmetic over contiguous columns, and the count is exact at any size.

What is kept: every SearchEntry row with a place, sorted by (latitude band,
longitude) like ix_search_entry_place, whose index-only scan loads them; about
90 bytes a place, some 95 MB at a million listings. And, for counting them,
the remote-only listings' rows (one per service area) and every listing's row
in the area search_index.ANY_PLACE (searches without a ZIP), sorted by area,
40 bytes each: at a million listings a state and the country hold tens of
thousands, which SQL counted in about a millisecond, and a search without a
ZIP counted and sorted them all in seconds. Each has its rank in the order of a
remote page: (sort_name, listing_id) as the database orders them, in its own
collation (read in that order; Python's string order may differ from it). A changed
listing (every one has its ANY_PLACE row) is ranked between the two listings the database puts
before and after it (two index seeks; ranks are floats, so there is room);
when that cannot be done (over REMOTE_PLACED changed at once, or a write
committed meanwhile), every remote entry is read again.

Never stale: before each search, the search generation is read (one row,
search_index.current_state). When it has moved, the listings that
search_index_change names after the last seq this copy applied are read again;
when the epoch has moved (a rebuild, or the state row made anew), everything
is. The copy is then at least as new as the generation the search saw.

A connection whose own transaction has rewritten entries not yet committed
(search_index.has_pending_rewrites) gets a private copy with those changes, so it finds what it wrote; the shared copy only ever holds what
was committed.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from operator import itemgetter

import numpy as np
from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection

from . import database, search_index
from .extensions import db
from .geo import Box, bands_of
from .models import SearchEntry
from .models.search_entry import SearchIndexChange

# (latitude band, longitude) as one sortable number: bands (geo.latitude_band) are whole numbers
# below 180 / geo.BAND_DEGREES = 3,600, longitudes + 180 lie in [0, 360].
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
# A remote page's order (search._page_remote): by name in the database's collation, then id
# (ix_search_entry_remote_order holds the remote entries in this order).
_REMOTE_IN_ORDER = _REMOTE.order_by(SearchEntry.sort_name, SearchEntry.listing_id)
REMOTE_PLACED = 100  # changed remote-only listings ranked one by one; more: every remote entry is read again
_LOAD_BATCH = 20_000  # rows converted at a time: their Python objects are the load's transient memory
RELOAD_SHARE = 0.2  # changed listings beyond this share of the entries: reloading everything is cheaper


@dataclass(frozen=True)
class Remote:
    """The remote-only listings' entries, one per (listing, service area), sorted by area then rank."""

    area: np.ndarray  # a state's code or "US"
    listing_id: np.ndarray
    bits_1: np.ndarray
    bits_2: np.ndarray
    fresh: np.ndarray
    rank: np.ndarray  # the listing's place in the order of remote pages (by name, then id), across areas

    # Where each area's entries are, found once per copy: two searches of the area strings cost a search 5 µs.
    _areas: dict[str, slice] = field(default_factory=dict, init=False, repr=False, compare=False)

    def in_area(self, area: str) -> slice:
        found = self._areas.get(area)
        if found is None:
            found = slice(int(self.area.searchsorted(area, "left")), int(self.area.searchsorted(area, "right")))
            self._areas[area] = found
        return found


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
            bands = np.array(bands_of(box), dtype=np.float64) * _BAND_STRIDE
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
    return [_NEVER if day is None else _day_number(day) for day in days]


@lru_cache(maxsize=4096)  # entries share a few hundred days
def _day_number(day: date | str) -> int:
    """A day's ordinal, from a date or the ISO text SQLite's driver gives for one (database.driver_batches)."""
    return (day if isinstance(day, date) else date.fromisoformat(day)).toordinal()


def _place_columns(rows: list) -> list[np.ndarray]:
    """Rows of _COLUMNS -> arrays in _FIELDS order."""
    if not rows:
        return [np.empty(0, dtype=dtype) for dtype in _DTYPES]
    band, lon, lat, x, y, z, bits_1, bits_2, listing_id, location_id, fresh, places = _transposed(rows, 12)
    lon_array = np.array(lon, dtype=np.float64)
    key = np.array(band, dtype=np.float64) * _BAND_STRIDE + (lon_array + 180.0)
    values = (key, lon_array, lat, x, y, z, bits_1, bits_2, listing_id, location_id, _fresh_days(fresh), places)
    return [value if isinstance(value, np.ndarray) else np.array(value, dtype=dtype)
            for value, dtype in zip(values, _DTYPES)]


def _remote_columns(rows: list) -> list[np.ndarray]:
    """Rows of _REMOTE_COLUMNS -> arrays in _REMOTE_FIELDS order."""
    if not rows:
        return [np.empty(0, dtype=dtype) for dtype in _REMOTE_DTYPES]
    area, listing_id, bits_1, bits_2, fresh = _transposed(rows, 5)
    return [np.array(value, dtype=dtype)
            for value, dtype in zip((area, listing_id, bits_1, bits_2, _fresh_days(fresh)), _REMOTE_DTYPES)]


def _transposed(rows: list, width: int) -> list[list]:
    """The rows' columns: a column at a time, about half of zip(*rows)'s time."""
    return [list(map(itemgetter(k), rows)) for k in range(width)]


def _read(connection: Connection, stmt, columns_of, expected: int = 0) -> list[np.ndarray]:
    """The statement's rows as arrays (columns_of makes them), read in batches.

    With `expected` rows the arrays are made that size first and filled batch by batch, so that
    loading a million places needs their size in memory, not twice that for a final concatenation.
    """
    columns, filled = columns_of([]), 0
    for rows in database.driver_batches(connection, stmt, _LOAD_BATCH):
        batch = columns_of(rows)
        if filled + len(rows) > len(columns[0]):  # more than expected (written meanwhile): grow
            columns = [np.concatenate([column[:filled], np.empty(max(expected, filled + len(rows)) - filled,
                                                                 dtype=column.dtype)]) for column in columns]
        for column, values in zip(columns, batch):
            column[filled:filled + len(rows)] = values
        filled += len(rows)
    return [column[:filled] for column in columns]


def _last_seq(connection: Connection) -> int:
    return connection.execute(select(func.coalesce(func.max(SearchIndexChange.seq), 0))).scalar_one()


def _count(connection: Connection, stmt) -> int:
    return connection.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()


def _load_remote(connection: Connection) -> Remote:
    """Every remote entry, ranked in the database's order of a remote page, then sorted by area (stably:
    each area's entries keep that order)."""
    columns = _read(connection, _REMOTE_IN_ORDER, _remote_columns, _count(connection, _REMOTE))
    listing_id = columns[1]
    # A listing's entries (one per area) are consecutive in that order and share the first one's position.
    first = np.ones(len(listing_id), dtype=bool)
    first[1:] = listing_id[1:] != listing_id[:-1]
    rank = np.maximum.accumulate(np.where(first, np.arange(len(listing_id)), 0)).astype(np.float64)
    order = np.argsort(columns[0], kind="stable")
    del listing_id, first
    columns.append(rank)
    del rank
    for k in range(len(columns)):  # one column at a time: at a million listings each is 4-8 MB, all 40 MB
        columns[k] = columns[k][order]
    return Remote(*columns)


def _neighbour_ranks(connection: Connection, remote: Remote, dropped: np.ndarray, name: str, listing_id: int,
                     placed: list[int]) -> tuple[float | None, float | None] | None:
    """The ranks of the kept listings just before and after (name, listing_id) in the database's order
    (None at either end), passing over the remote listings being `placed`; None if those two are not
    neighbours among the kept entries too (a write committed since the changes were read), so that the new
    rank could not be placed between them. `dropped` marks the entries of `remote` not kept."""
    ranks = []
    for before in (True, False):
        key, name_column = SearchEntry.listing_id, SearchEntry.sort_name
        side = (and_(name_column <= name, or_(name_column < name, key < listing_id)) if before else
                and_(name_column >= name, or_(name_column > name, key > listing_id)))
        order = (name_column.desc(), key.desc()) if before else (name_column, key)
        found = connection.execute(select(key).where(SearchEntry.area.is_not(None), key.not_in(placed), side)
                                   .order_by(*order).limit(1)).scalar()
        if found is None:
            ranks.append(None)
            continue
        at = np.flatnonzero((remote.listing_id == found) & ~dropped)
        if len(at) == 0:
            return None
        ranks.append(float(remote.rank[at[0]]))
    low, high = ranks
    between = np.count_nonzero((remote.rank > (-np.inf if low is None else low))
                               & (remote.rank < (np.inf if high is None else high)) & ~dropped)
    return None if between else (low, high)


def _in_database_order(connection: Connection, names: dict[int, str]) -> list[int]:
    """These remote-only listings in the database's order of a remote page."""
    return list(dict.fromkeys(connection.execute(
        _REMOTE_IN_ORDER.with_only_columns(SearchEntry.listing_id)
        .where(SearchEntry.listing_id.in_(list(names)))).scalars()))


def _remote_with_changes(connection: Connection, remote: Remote, changed: np.ndarray) -> Remote:
    """The remote entries with the changed listings' read again, each ranked between its neighbours'
    ranks in the database's order (or all read again when that cannot be done).

    Every listing has an entry here (its ANY_PLACE one), a million and more: the kept entries are not
    copied first, and the new columns are made one at a time."""
    ids = changed.tolist()
    rows = []
    for batch in (ids[start:start + 500] for start in range(0, len(ids), 500)):
        rows += connection.execute(_REMOTE.add_columns(SearchEntry.sort_name)  # ordered below, if placed
                                   .where(SearchEntry.listing_id.in_(batch))).all()
    dropped = np.isin(remote.listing_id, changed)
    if not rows and not dropped.any():
        return remote
    names = {row.listing_id: row.sort_name for row in rows}
    if len(names) > REMOTE_PLACED:
        return _load_remote(connection)
    # Listings in the same gap between kept neighbours share it, spread evenly in the database's order.
    gaps: dict[tuple, list[int]] = {}
    for listing_id in _in_database_order(connection, names):
        neighbours = _neighbour_ranks(connection, remote, dropped, names[listing_id], listing_id, list(names))
        if neighbours is None:
            return _load_remote(connection)
        gaps.setdefault(neighbours, []).append(listing_id)
    rank_of = {}
    for (low, high), members in gaps.items():
        low = high - len(members) - 1 if low is None and high is not None else low
        low = 0.0 if low is None else low
        high = low + len(members) + 1 if high is None else high
        step = (high - low) / (len(members) + 1)
        for k, listing_id in enumerate(members, start=1):
            rank_of[listing_id] = low + k * step
            if not low < rank_of[listing_id] < high:  # no room left between two floats
                return _load_remote(connection)
    added = _remote_columns([row[:len(_REMOTE_FIELDS)] for row in rows]) + [
        np.array([rank_of[row.listing_id] for row in rows], dtype=np.float64)]
    # Into their places by area, then rank: the few new entries are sorted, not all of them.
    order = np.lexsort((added[-1], added[0]))
    added = [column[order] for column in added]
    dropped_at = np.flatnonzero(dropped)
    at = np.array([_kept_position(remote, dropped_at, area, rank)
                   for area, rank in zip(added[0].tolist(), added[-1].tolist())], dtype=np.int64)
    kept = ~dropped
    return Remote(*(np.insert(getattr(remote, name)[kept], at, column)
                    for name, column in zip((*_REMOTE_FIELDS, "rank"), added)))


def _kept_position(remote: Remote, dropped_at: np.ndarray, area: str, rank: float) -> int:
    """Where an entry of this area and rank goes among the kept entries (sorted by area, then rank): its
    place among all of them, less the dropped ones (at `dropped_at`) before it."""
    within = remote.in_area(area)
    position = within.start + int(remote.rank[within].searchsorted(rank))
    return position - int(dropped_at.searchsorted(position))


def load(connection: Connection, generation: int | None = None, epoch: int | None = None) -> Places:
    """Every place, read as this connection sees the database now."""
    seq = _last_seq(connection)  # first: changes committed while loading are applied again later
    columns = _read(connection, _PLACES.order_by(SearchEntry.band, SearchEntry.longitude), _place_columns,
                    _count(connection, _PLACES))
    return Places(*columns, remote=_load_remote(connection), generation=generation, epoch=epoch, seq=seq)


def _changes(connection: Connection, places: Places) -> tuple[np.ndarray, int] | None:
    """(listing ids changed since the copy's seq, the last seq); None: the log cannot tell, reload it all."""
    changes = connection.execute(select(SearchIndexChange.seq, SearchIndexChange.listing_id)
                                 .where(SearchIndexChange.seq > places.seq).order_by(SearchIndexChange.seq)).all()
    if not changes:  # e.g. an organization renamed: nothing search measures
        return np.empty(0, dtype=np.int32), places.seq
    changed = np.unique(np.fromiter((listing_id for _, listing_id in changes), dtype=np.int32, count=len(changes)))
    pruned = changes[-1].seq - places.seq > search_index.KEEP_CHANGES  # the log may have lost some
    if pruned or len(changed) > RELOAD_SHARE * max(1, places.size + len(places.remote.listing_id)):
        return None
    return changed, changes[-1].seq


def _with_changes(columns: dict[str, np.ndarray], remote: Remote, changed: np.ndarray,
                  connection: Connection) -> tuple[list[np.ndarray], Remote]:
    """The columns and the remote entries with the changed listings read again.

    `columns` is taken over: each column is replaced in it as soon as its new one is made, so that
    when nothing else holds the old copy, it is given back column by column instead of all at the end.
    """
    new_places = [_read(connection, _PLACES.where(SearchEntry.listing_id.in_(ids.tolist())), _place_columns)
                  for ids in np.array_split(changed, max(1, len(changed) // 500 + 1))]

    new = [np.concatenate(column) for column in zip(*new_places)]
    order = np.argsort(new[0], kind="stable")  # by key, the first column
    new = [column[order] for column in new]
    keep = ~np.isin(columns["listing_id"], changed)
    at = columns["key"][keep].searchsorted(new[0])
    for name, added in zip(_FIELDS, new):
        columns[name] = np.insert(columns[name][keep], at, added)
    return [columns.pop(name) for name in _FIELDS], _remote_with_changes(connection, remote, changed)


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
            changed = None if places is None or places.epoch != epoch else _changes(connection, places)
            if changed is not None and len(changed[0]) == 0:
                places = replace(places, generation=generation, epoch=epoch, seq=changed[1])
            elif changed is not None:
                columns, remote, seq = {name: getattr(places, name) for name in _FIELDS}, places.remote, changed[1]
                if not pending:  # nothing else needs the old copy: let it go as the new one is made
                    self.places = places = None
                place_columns, remote = _with_changes(columns, remote, changed[0], connection)
                places = Places(*place_columns, remote=remote, generation=generation, epoch=epoch, seq=seq)
            else:
                if not pending:
                    self.places = places = None  # before reading the new copy, not after
                places = load(connection, generation, epoch)
            if not pending:  # only what is committed is shared
                self.places = places
            return places


def warm(app) -> None:
    """Read the places now rather than on the first search (gunicorn.conf.py calls it as a worker starts).

    A search that comes meanwhile waits for the same load (the lock), no longer than it would have.
    """
    with app.app_context():
        connection = db.session.connection()
        for_app(app).current(connection, search_index.current_state(connection))
        db.session.remove()


def for_app(app) -> PlaceIndex:
    index = app.extensions.get("place_index")
    if index is None:
        index = app.extensions["place_index"] = PlaceIndex()
    return index
