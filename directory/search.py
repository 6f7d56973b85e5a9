"""Search: validated parameters -> listings. The ONE place search logic lives.

Both /search (HTML) and /api/v1/search (JSON) call `parse_search_args` then
`run_search`. Values within one field combine with OR, fields with AND.

With a ZIP, results are (1) listings with a location within the radius,
nearest first, then (2) remote-only listings (online/phone, no location)
whose service area covers the ZIP's state or the whole country, by name.
Without one, every listing that passes the filters, by name.

How a ZIP search stays fast at a million listings while returning exactly
what a scan of every listing with the geodesic distance would:
- Places come from SearchEntry (search_index.py): one row per place a
  published listing can be found, with its filter codes as bits. Each
  process keeps those rows in memory as NumPy columns sorted by latitude band
  and longitude (place_index.py), brought up to date before each search.
- The radius is a box (one longitude range per latitude band: two binary
  searches) plus the chord distance through the Earth, and the filters are
  `bits & mask != 0`, all vectorised over the box's places.
- The chord bounds the geodesic tightly (geo.chord_bounds), so the count
  takes the listings surely inside and measures only the few borderline
  ones with the slow geodesic. Counting is exact, in the same pass that
  finds the page's candidates: paging costs no second pass.
- The page is ranked among the places with the shortest chords, about a
  page's worth; the geodesic is computed only where the bounds cannot order.
- Remote-only listings (a state's or the country's) are in memory too, each
  with its rank in the database's order by name (its collation): counted and
  paged with the same masks. So is every listing, for searches without a ZIP:
  each has one more entry, in the area search_index.ANY_PLACE.

Results show ResultCards (result_cards.py), each stored as one JSON text and
read by key, not Listing objects.

A search's words (q) are LIKEs on each listing's words (SearchText.words), which
a trigram index narrows to the few listings that can hold them (_with_words); on
SQLite the index alone answers for words in ASCII (_fts_phrases).
"""
from __future__ import annotations

import math
from copy import copy
from dataclasses import dataclass, field
from typing import Iterable, Mapping, NamedTuple, Sequence

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
import numpy as np
from flask import current_app
from sqlalchemy import and_, column, exists, inspect, select, table, text
from sqlalchemy.orm import selectinload

from . import database, place_index, search_cache, search_index
from .extensions import db
from .freshness import fresh_clause
from .geo import (
    CHORD_SLACK_MILES,
    Centroid,
    GeoError,
    bounding_boxes,
    chord_bounds,
    distances_miles,
    earth_xyz,
    lookup_zip,
    surely_within_chord,
)
from .models import Listing, ListingCode, SearchText, ServiceAtLocation
from .result_cards import ResultCard, load_cards
from .vocabulary import ALL_FIELDS, NATIONWIDE, SINGLE_FIELDS

RADIUS_MIN, RADIUS_MAX, RADIUS_DEFAULT = 1, 500, 25
PER_PAGE_MAX, PER_PAGE_DEFAULT = 100, 20
PAGE_MAX = 10_000
Q_MAX_LENGTH = 200
MAX_ID = 2**31 - 1  # listing.id is a 32-bit INTEGER on PostgreSQL
MAX_VALUES_PER_FIELD = 20
FILTER_FIELDS = tuple(ALL_FIELDS)  # kind, session_format, ..., language
SEARCH_PARAMS = ("zip", "radius", *FILTER_FIELDS, "accepting_clients", "q", "page", "per_page")


# What people call each parameter, for error messages (codes stay in the API's "field").
PARAM_NAMES = {"zip": _l("ZIP code"), "radius": _l("Distance"), "page": _l("Page"), "per_page": _l("Results per page"),
               "accepting_clients": _l("Accepting new clients"), "q": _l("Search words")}


def _field(name: str) -> str:
    return str(PARAM_NAMES.get(name, name))


class SearchError(ValueError):
    """Bad search input. `field` names the parameter; the message is for people."""

    def __init__(self, field: str, message: str, code: str = "invalid_parameter"):
        super().__init__(message)
        self.field = field
        self.message = message
        self.code = code


@dataclass(frozen=True)
class SearchQuery:
    zip: str | None = None
    radius: float = RADIUS_DEFAULT
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    accepting_clients: bool | None = None
    q: str | None = None
    page: int = 1
    per_page: int = PER_PAGE_DEFAULT

    def selected(self, name: str) -> tuple[str, ...]:
        return self.filters.get(name, ())

    @property
    def words(self) -> list[str]:
        """The words of q that search looks for: the first eight."""
        return (self.q or "").split()[:8]


@dataclass(frozen=True)
class Hit:
    listing: ResultCard  # what a result shows of the listing, with Listing's attribute names
    distance_miles: float | None  # None for remote-only listings and searches without a ZIP
    location: object | None  # the nearest location (id, name, address_1, city, ...), if any


@dataclass
class SearchPage:
    query: SearchQuery
    center: Centroid | None
    total: int
    hits: list[Hit]
    total_is_estimate: bool = False  # never now (counts are exact); kept for the API's field of that name

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.query.per_page))


# -- parsing ------------------------------------------------------------------

def _one(args, name: str) -> str | None:
    values = [v for v in args.getlist(name) if v.strip() != ""]
    if len(values) > 1:
        raise SearchError(name, _("Give %(field)s only once.", field=_field(name)))
    return values[0].strip() if values else None


def _bounded_int(args, name: str, default: int, low: int, high: int) -> int:
    raw = _one(args, name)
    if raw is None:
        return default
    # isascii: str.isdigit() also accepts "²", which int() then refuses.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise SearchError(name, _("%(field)s must be a whole number from %(low)s to %(high)s.", field=_field(name), low=low, high=high))
    value = int(raw)
    if not low <= value <= high:
        raise SearchError(name, _("%(field)s must be a whole number from %(low)s to %(high)s.", field=_field(name), low=low, high=high))
    return value


def _radius(args) -> float:
    raw = _one(args, "radius")
    if raw is None:
        return float(RADIUS_DEFAULT)
    try:
        value = float(raw) if len(raw) <= 12 else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not RADIUS_MIN <= value <= RADIUS_MAX:
        raise SearchError("radius", _("The distance must be a number of miles from %(low)s to %(high)s.",
                                      low=RADIUS_MIN, high=RADIUS_MAX))
    return value


def _codes(args, name: str) -> tuple[str, ...]:
    values = [v.strip() for v in args.getlist(name) if v.strip() != ""]
    if len(values) > MAX_VALUES_PER_FIELD:
        raise SearchError(name, _("Choose at most %(n)s values for %(field)s.", n=MAX_VALUES_PER_FIELD, field=_field(name)))
    known = ALL_FIELDS[name]
    for value in values:
        if value not in known:
            raise SearchError(name, _("%(field)s has no option “%(value)s”. Choose one of: %(codes)s.", field=_field(name), value=value[:40], codes=", ".join(known)),
                              code="unknown_code")
    return tuple(dict.fromkeys(values))


def _yes_no(args, name: str) -> bool | None:
    raw = _one(args, name)
    if raw is None:
        return None
    lowered = raw.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise SearchError(name, _("%(field)s must be true or false.", field=_field(name)))


def parse_search_args(args) -> SearchQuery:
    """Validate request arguments (a MultiDict: repeated keys allowed) into a SearchQuery."""
    zip_text = _one(args, "zip")
    if zip_text is not None:
        try:
            zip_text = lookup_zip(zip_text).zip
        except GeoError as exc:
            raise SearchError("zip", str(exc), code=exc.code) from None
    q = _one(args, "q")
    if q is not None and len(q) > Q_MAX_LENGTH:
        raise SearchError("q", _("Keep the search words under %(n)s characters.", n=Q_MAX_LENGTH))
    if q is not None and "\x00" in q:  # PostgreSQL text cannot hold NUL
        raise SearchError("q", _("The search words contain a character we cannot search for."))
    return SearchQuery(
        zip=zip_text,
        radius=_radius(args),
        filters={name: codes for name in FILTER_FIELDS if name in args and (codes := _codes(args, name))},
        accepting_clients=_yes_no(args, "accepting_clients"),
        q=q,
        page=_bounded_int(args, "page", 1, 1, PAGE_MAX),
        per_page=_bounded_int(args, "per_page", PER_PAGE_DEFAULT, 1, PER_PAGE_MAX),
    )


# -- filtering ----------------------------------------------------------------

def published():
    """What the public may see: approved by a moderator, in service, and confirmed within a year."""
    return and_(Listing.status == "approved", Listing.service_status == "active", fresh_clause())


def _has_code(field_name: str, codes: Iterable[str]):
    return exists().where(
        ListingCode.listing_id == Listing.id, ListingCode.field == field_name, ListingCode.code.in_(list(codes))
    )


def _like_pattern(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def _wanted_codes(name: str, codes: tuple[str, ...]) -> set[str]:
    # A program for people with any cancer serves every cancer type.
    return {*codes, "any"} if name == "cancer_type" else set(codes)


# SQLite's FTS5 table over search_text.words (trigram tokenizer), made by a migration where SQLite has FTS5.
_SEARCH_WORDS = table("search_words", column("rowid"), column("words"))
_INDEXED_WORD = 3  # a trigram index can look up a word of at least three characters


def _indexable(word: str) -> bool:
    return len(word) >= _INDEXED_WORD and not set(word) & {"%", "_", "\\"}


def _fts_decides(words: list[str]) -> bool:
    """Whether what _fts_candidates finds for these words is the answer: when it looked every one up and
    every one is ASCII: the index folds no character of the (case folded) words to an ASCII letter
    (search_index.fold_words). For another word the index may find more, where its own folding differs
    from Python's casefold."""
    return all(_indexable(word) and word.isascii() for word in words)


def _has_search_words(connection) -> bool:
    """Whether this SQLite database has the search_words table (asked once per database connection)."""
    if "search_words" not in connection.info:
        connection.info["search_words"] = inspect(connection).has_table("search_words")
    return connection.info["search_words"]


def _with_words(words: list[str]):
    """The ids of the published listings with every one of these words in their name, description (English or
    Spanish) or organization's name, as a SELECT.

    Each word is a LIKE on the listing's words (SearchText.words: those texts joined by a character no word
    holds, so the same as a LIKE on each text), both case folded (search_index.fold_words). A trigram index
    finds the few listings that can match: PostgreSQL's pg_trgm index serves these LIKEs themselves; on
    SQLite the FTS5 table search_words answers for ASCII words it can look up (_fts_candidates), and the
    LIKEs for the others only check what it found.
    """
    words = _search_words(words)
    candidates = _fts_candidates(words)
    if candidates is not None and _fts_decides(words):
        return candidates
    stmt = select(SearchText.listing_id).where(*_likes(words))
    return stmt if candidates is None else stmt.where(SearchText.listing_id.in_(candidates))


def _fts_phrases(words: list[str]) -> str | None:
    """On SQLite with the FTS5 table search_words, what it MATCHes to find the listings that may hold these
    (case folded) words, of those it can look up; else None.

    Each word is a phrase of its trigrams: a listing matches when its words hold the word, case folded by
    the index. That is at least what the LIKEs find, and for ASCII words exactly that (_fts_decides;
    tests/test_search.py's WORD_TEXTS check it in several alphabets), from the index alone: a LIKE on the
    FTS5 table (what this was) reads the words of every listing the index finds, five times as long a one.
    A word with a LIKE wildcard, or too short for trigrams, is left to the LIKEs."""
    indexed = [word for word in words if _indexable(word)]
    connection = database.read_connection()
    if not (indexed and connection.dialect.name == "sqlite" and _has_search_words(connection)):
        return None
    return " AND ".join('"' + word.replace('"', '""') + '"' for word in indexed)  # a phrase's text is literal


_FTS_IDS = "SELECT rowid FROM search_words WHERE search_words MATCH ? LIMIT ?"  # _fts_candidates, for driver_rows


def _fts_candidates(words: list[str]):
    """_fts_phrases' listings as a SELECT of their ids, or None."""
    phrases = _fts_phrases(words)
    if phrases is None:
        return None
    return select(_SEARCH_WORDS.c.rowid).where(text("search_words MATCH :phrases").bindparams(phrases=phrases))


def _search_words(words: list[str]) -> list[str]:
    """A search's words as listings' words are kept: case folded (search_index.fold_words)."""
    return [search_index.fold_words(word) for word in words]


def _likes(words: list[str]) -> list:
    """A LIKE per (case folded) word on the listing's words, kept case folded: no database's lower() on
    either side, so both databases find the same, and none lowers a copy of each listing's words first."""
    return [SearchText.words.like(_like_pattern(word), escape="\\") for word in words]


def _words_sql(words: list[str], where: str = "", params: Sequence = ()) -> tuple[str, list]:
    """_likes as a SELECT of listing ids for database.driver_rows, after `where` (with its `params`), if any.

    For _WordsAmong, whose SELECTs return or check thousands of ids: SQLAlchemy's Rows for the 45,386
    listings with "hope" at a million took 100 ms after PostgreSQL's 83, and psycopg took 86 ms to parse
    an expanding IN of 10,000 keys (database.any_of's array is one parameter there)."""
    likes = ["words LIKE ? ESCAPE '\\'"] * len(words)
    return (f"SELECT listing_id FROM {SearchText.__tablename__} WHERE " + " AND ".join([where] * bool(where) + likes),
            [*params, *(_like_pattern(word) for word in words)])


def _listing_ids(sql: str, params: Sequence) -> list[int]:
    """The ids a one-column SELECT of listing ids finds, read on the driver (database.driver_rows)."""
    return [listing_id for listing_id, in database.driver_rows(database.read_connection(), sql, params)]


def _words_match(query: SearchQuery) -> list:
    """Every word of q (the first eight) in the listing's name, description (English or Spanish) or
    organization's name."""
    return [Listing.id.in_(_with_words(query.words))] if query.words else []


def filter_clauses(query: SearchQuery) -> list:
    """SQL conditions on Listing for everything in the query except place."""
    clauses = [published()]
    for name, codes in query.filters.items():
        if name in SINGLE_FIELDS:
            clauses.append(getattr(Listing, name).in_(codes))
        else:
            clauses.append(_has_code(name, _wanted_codes(name, codes)))
    if query.accepting_clients is not None:
        clauses.append(Listing.accepting_clients.is_(query.accepting_clients))
    return clauses + _words_match(query)


_PART = 1 << 16  # entries _Where.passes and _chords2 take at a time (a part's arrays stay in the CPU's cache)
_FEW = 1 << 14  # entries they take at once, in NumPy's own arrays (128 KiB at most: from malloc's heap)


def _part_of(column: np.ndarray, part: slice | np.ndarray, out: np.ndarray | None) -> np.ndarray:
    """column[part]: a view for a slice, else gathered into `out` (a new array if None)."""
    return column[part] if isinstance(part, slice) else column.take(part, out=out)


class _Where:
    """The filters on search entries, as bit masks for the entries in memory (place_index): `masks`,
    `today` (freshness) and the search's `words`, looked up in the database (_WordsAmong)."""

    def __init__(self, query: SearchQuery):
        masks = {name: search_index.mask(name, _wanted_codes(name, codes)) for name, codes in query.filters.items()}
        if query.accepting_clients is not None:
            masks["accepting_clients"] = search_index.mask("accepting_clients",
                                                           ["true" if query.accepting_clients else "false"])
        self.masks = [(search_index.BIT_LAYOUT[name][0], bits) for name, bits in masks.items()]
        self.today = search_cache.today().toordinal()
        self.words = _WordsAmong(query.words) if query.words else None

    def passes(self, entries, at: slice | np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
        """Which of the in-memory entries at these positions (place_index) pass the filters: of those `keep`
        marks, if given (changed in place; the words are looked up only for the listings still in).

        Many entries are taken a part at a time, each step writing into the same small arrays, which stay
        in the CPU's cache: over all of them at once every step made a new array of up to a million (as
        large as a column, so memory mapped and given back each time: gunicorn.conf.py). Three filters over
        a search without a ZIP's 890,000 entries: 5.1 ms, now 1.8."""
        count = at.stop - at.start if isinstance(at, slice) else len(at)  # place_index's slices have no step
        keep = np.ones(count, dtype=bool) if keep is None else keep
        length = min(count, _PART)
        buffers = ([None] * 3 if count <= _FEW  # a few: NumPy's own small arrays cost less (5-11 µs)
                   else [np.empty(length, dtype=entries.fresh.dtype), np.empty(length, dtype=entries.bits_1.dtype),
                         np.empty(length, dtype=bool)])
        for start in range(0, count, _PART):
            stop = min(count, start + _PART)
            part = slice(at.start + start, at.start + stop) if isinstance(at, slice) else at[start:stop]
            self._filter_part(entries, part, keep[start:stop],
                              [buffer if buffer is None else buffer[:stop - start] for buffer in buffers])
        return self._with_words(entries, at, keep)

    def _filter_part(self, entries, part: slice | np.ndarray, mine: np.ndarray, buffers: list) -> None:
        """Narrow `mine` (in place) to the entries at `part` that are fresh and pass the masks; `buffers` (days,
        bits, passed) are arrays of its length to write the steps into, or None each for new ones."""
        days, scratch, passed = buffers
        mine &= np.greater_equal(_part_of(entries.fresh, part, days), self.today, out=passed)
        for word, bits in self.masks:
            codes = entries.bits_1 if word == 1 else entries.bits_2
            masked = np.bitwise_and(_part_of(codes, part, scratch), bits, out=scratch)
            mine &= np.not_equal(masked, 0, out=passed)

    def _with_words(self, entries, at: slice | np.ndarray, keep: np.ndarray) -> np.ndarray:
        """`keep`, narrowed (in place) to the listings with the search's words, if it has any."""
        if self.words is not None:
            rows = np.flatnonzero(keep)
            listing_ids = entries.listing_id[at].take(rows)
            keep[rows] = _among_sorted(listing_ids, self.words.among(_distinct(listing_ids)))
        return keep


class _WordsAmong:
    """Which of a search's candidate listings have its words, at the cost of the cheaper of two ways: every
    listing with the words, when there are not many more of them than candidates (a trigram index finds a
    rare word's few), else the candidates' own words, read by key (a common word: "cancer" is in most)."""

    KEYS_A_STATEMENT = 10_000  # under SQLite's 32,766 parameters (on PostgreSQL they are one array)
    # The FTS5 index gives a listing with the words in about a quarter of the time its words (then in its
    # card) took to read by key (0.6-0.9 µs against 2.5-3.3 at a million listings: bench/README.md, tenth
    # round): where it decides alone, it may find up to this many a candidate before the candidates' words
    # are read instead.
    INDEX_IDS_A_KEY = 4

    def __init__(self, words: list[str]):
        self.words = _search_words(words)
        self.every: np.ndarray | None = None  # every listing with the words, once known
        self.more_than = -1  # there are more listings with the words than this
        self.checked: np.ndarray | None = None  # the first candidates whose words were read (sorted, distinct)
        self.holding = np.empty(0, dtype=np.int64)  # those of them with the words

    def among(self, candidates: np.ndarray) -> np.ndarray:
        """The listings with the words (sorted, distinct): of `candidates` (sorted, distinct), or more (every
        one, when that was cheaper)."""
        if len(candidates) == 0:
            return candidates
        if self.every is None and self.checked is not None and _among_sorted(candidates, self.checked).all():
            return self.holding  # _find asked for all its candidates first
        if self.every is None and len(candidates) > self.more_than:
            # The index stops one past the bound (FTS5 alone, not joined to search_text: SQLite would then
            # scan that and probe the index with each).
            phrases = _fts_phrases(self.words)
            decided = phrases is None or _fts_decides(self.words)
            bound = len(candidates) * (self.INDEX_IDS_A_KEY if phrases is not None and decided else 1)
            if phrases is None:
                sql, params = _words_sql(self.words)
                found = _listing_ids(sql + " LIMIT ?", (*params, bound + 1))
            else:  # on the driver's connection: SQLAlchemy's rows took three times what the index did
                found = _listing_ids(_FTS_IDS, (phrases, bound + 1))
            if len(found) <= bound:  # every one with the words (FTS5's once the LIKEs it left agree)
                self.every = _distinct(np.array(found, dtype=np.int64)) if decided else self._by_key(found)
            else:
                self.more_than = len(candidates)
        if self.every is not None:
            return self.every
        holding = self._by_key(candidates.tolist())
        if self.checked is None:
            self.checked, self.holding = candidates, holding
        return holding

    def _by_key(self, listing_ids: list[int]) -> np.ndarray:
        """Those of these listings whose words hold the search's (sorted, distinct)."""
        found = []
        connection = database.read_connection()
        for start in range(0, len(listing_ids), self.KEYS_A_STATEMENT):
            keys = listing_ids[start:start + self.KEYS_A_STATEMENT]
            found += _listing_ids(*_words_sql(self.words, *database.any_of(connection, "listing_id", keys)))
        return _distinct(np.array(found, dtype=np.int64))


# NumPy 2.4's np.unique hashes, then sorts what it found: 6 times as long as sorting alone for 1,000 ids,
# 20 times for 92,000 (25 ms: the listings a search without a ZIP checks for words).
#
# And its boolean indexing (values[mask]) branches on every element: where a mask over thousands of
# entries has no pattern it took four times as long as taking the positions np.flatnonzero finds
# (93,000 places of a circle: 0.57 ms against 0.13), which _kept does.

def _kept(keep: np.ndarray, *columns: np.ndarray) -> tuple[np.ndarray, ...]:
    """Each column's entries where `keep` is true (column[keep]); the columns themselves, not copies, when
    it is true everywhere (a search without a ZIP or a filter keeps a million entries as they are)."""
    if np.count_nonzero(keep) == len(keep):
        return columns
    at = np.flatnonzero(keep)
    return tuple(column.take(at) for column in columns)


def _distinct(values: np.ndarray) -> np.ndarray:
    """np.unique(values), by sorting."""
    if len(values) < 2:  # often none (the places of listings with several, surely inside)
        return values
    values = np.sort(values)
    return _kept(_run_starts(values), values)[0]


def _distinct_first(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(values, return_index=True): the distinct values, and where each first comes in `values`."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    return _kept(_run_starts(ordered), ordered, order)


_TABLE_SPAN = 1 << 22  # the widest range of ids _among_sorted looks up in a table (a byte each)


def _among_sorted(values: np.ndarray, distinct: np.ndarray) -> np.ndarray:
    """np.isin(values, distinct) for sorted, distinct `distinct` (_distinct's). np.isin chooses by the sizes
    alone between a table of the ids `distinct` spans and sorting both again (2 ms for the 93,000 places of
    a 100-mile circle around Manhattan at a million; 12 ms for 40,000 against the 45,000 listings with a
    word). Here: by binary search for a few values (10 in a million ids: 4 µs, the table 43), in the table
    for many, where the binary search's misses cost more than filling it (10,000: 1.6 ms against 0.3)."""
    if len(distinct) == 0:
        return np.zeros(len(values), dtype=bool)
    span = int(distinct[-1] - distinct[0]) + 1
    if span <= _TABLE_SPAN and len(values) >= span >> 10:
        return np.isin(values, distinct, kind="table")
    at = np.minimum(np.searchsorted(distinct, values), len(distinct) - 1)
    return distinct[at] == values


def _run_starts(ordered: np.ndarray) -> np.ndarray:
    starts = np.ones(len(ordered), dtype=bool)
    starts[1:] = ordered[1:] != ordered[:-1]
    return starts


# -- near a place: the circle, in memory ---------------------------------------------------

Row = tuple[int, float, int]  # (listing_id, miles, location_id)
_Points = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # listing_id, location_id, lat, lon of places


def _chords2(places: place_index.Places, at: np.ndarray, center: tuple[float, float, float]) -> np.ndarray:
    """The squared chords from the centre's point to the places at these positions: (x - cx)² + (y - cy)² +
    (z - cz)², the same numbers, a part at a time into one small array (as _Where.passes): over a 100-mile
    circle's 200,000 places at once, its nine new arrays took 4.3 ms, this 3.1."""
    count = len(at)
    chord2 = np.empty(count)
    scratch = None if count <= _FEW else np.empty(_PART)  # a few: NumPy's own small arrays cost less
    for start in range(0, count, _PART):
        stop = min(count, start + _PART)
        part, mine = at[start:stop], chord2[start:stop]
        difference = None if scratch is None else scratch[:stop - start]
        for axis, (coordinate, middle) in enumerate(zip((places.x, places.y, places.z), center)):
            difference = np.subtract(coordinate.take(part, out=difference), middle, out=difference)
            if axis == 0:
                np.multiply(difference, difference, out=mine)
            else:
                mine += np.multiply(difference, difference, out=difference)
    return chord2


class _Circle:
    """The places within `radius` of the centre that pass the filters, with their chords.

    Read from this process's copy of the places (place_index.py): the bounding
    boxes' band and longitude ranges, then the chord through the Earth (no
    geodesic is shorter, so a longer chord is out) and the filters' bits.
    """

    def __init__(self, center: Centroid, radius: float, where: _Where, places: place_index.Places):
        self.radius = radius
        at = places.in_boxes(bounding_boxes(center.lat, center.lon, radius))
        cx, cy, cz = earth_xyz(center.lat, center.lon)
        reach = radius + CHORD_SLACK_MILES
        chord2 = _chords2(places, at, (cx, cy, cz))
        keep = where.passes(places, at, keep=chord2 <= reach * reach)
        self.places, self.at, self.chord2 = places, at[keep], chord2[keep]  # mostly runs of True: quick
        self.listing_id = places.listing_id[self.at]

    def points(self, positions: np.ndarray) -> _Points:
        """The places at these positions within the circle's arrays."""
        at = self.at[positions]
        return (self.listing_id[positions], self.places.location_id[at], self.places.lat[at], self.places.lon[at])


def _points_of(points: _Points):
    """points_of(listing_ids) for _Nearest.measure: those listings' places among these."""
    owners = points[0].tolist()

    def points_of(listing_ids: list[int]) -> _Points:
        wanted = set(listing_ids)  # a set, not np.isin: these are tens of places, and np.isin costs 70 µs
        mine = [i for i, owner in enumerate(owners) if owner in wanted]
        return tuple(column[mine] for column in points)
    return points_of


class _Nearest:
    """(miles, location_id) of listings' nearest locations by geodesic, each computed once a search."""

    def __init__(self, center: Centroid):
        self.center = center
        self.known: dict[int, tuple[float, int]] = {}

    def measure(self, listing_ids: list[int], points_of, radius: float) -> dict[int, tuple[float, int]]:
        """{listing_id: (miles, location_id)} of their nearest locations (the nearer location id on a tie).

        `points_of(listing_ids)`: those listings' locations that may lie within `radius` (_Points);
        the others are farther. Those not yet known are measured together, in one call into PROJ.
        """
        found = {lid: self.known[lid] for lid in listing_ids if lid in self.known}
        todo = [lid for lid in listing_ids if lid not in found]
        if not todo:
            return found
        owner, location_id, lat, lon = points_of(todo)
        miles = distances_miles(self.center.lat, self.center.lon, lat, lon)
        order = np.lexsort((location_id, miles, owner))  # by listing, then nearest first
        owner, miles, location_id = owner[order], miles[order], location_id[order]
        first = np.ones(len(owner), dtype=bool)
        first[1:] = owner[1:] != owner[:-1]
        for lid, distance, place in zip(owner[first].tolist(), miles[first].tolist(), location_id[first].tolist()):
            found[lid] = (distance, place)
            if distance <= radius:  # only then is it surely the nearest of all the listing's locations
                self.known[lid] = (distance, place)
        return found


def _count_near(circle: _Circle, nearest: _Nearest) -> int:
    """How many listings have a location within the circle.

    A place whose chord is short enough is surely inside (geo.surely_within_chord);
    a listing is counted once however many of its places are (only the few with
    several places need a set). Only the listings with no place surely inside and
    a place the chord cannot decide get a geodesic.
    """
    sure = surely_within_chord(circle.radius)
    surely_in = circle.chord2 <= sure * sure
    several = circle.places.places[circle.at] > 1  # the place of a listing with others
    several_in = _distinct(_kept(surely_in & several, circle.listing_id)[0])
    counted = int(np.count_nonzero(surely_in & ~several)) + len(several_in)
    undecided = np.flatnonzero(~surely_in)
    if len(undecided) == 0:
        return counted
    # Only a listing with several places can have another one surely inside, already counted.
    undecided = undecided[~(several[undecided] & _among_sorted(circle.listing_id[undecided], several_in))]
    points = circle.points(undecided)
    measured = nearest.measure(_distinct(points[0]).tolist(), _points_of(points), circle.radius)
    return counted + sum(1 for miles, _ in measured.values() if miles <= circle.radius)


# -- near a place: ranking a page -----------------------------------------------------------

class _Bounds(NamedTuple):
    """Listings (ascending ids) with bounds on their distances from the centre (equal once measured)."""
    ids: np.ndarray
    lows: np.ndarray
    highs: np.ndarray


def _nearest_first(chord2: np.ndarray, limit: int, radius: float) -> np.ndarray:
    """Positions of the `limit` shortest chords (all, if fewer), shortest first.

    A page needs a few dozen of a circle's places, up to 93,000: partitioning them all cost a search 0.4 ms.
    So first those under a guess at the limit-th chord, as if the places were spread evenly over the circle
    (the share `limit` of its area, times four), widened until there are enough; then only those.
    """
    if limit >= len(chord2):
        return np.argsort(chord2, kind="stable")
    guess = 4.0 * radius * radius * limit / len(chord2)
    while len(near := np.flatnonzero(chord2 <= guess)) < limit:
        guess = max(4.0 * guess, 1e-6)  # grows past every chord, so stops
    order = near[np.argpartition(chord2[near], limit - 1)[:limit]]
    return order[np.argsort(chord2[order], kind="stable")]


def _within(circle: _Circle, nearest: _Nearest, limit: int):
    """The listings nearest the centre, with bounds on their distances.

    Reads the `limit` places of the circle with the shortest chords. Returns
    (radius, _Bounds, points_of) where radius is the circle's, or less when the
    limit cut the read short: every place closer than the last one read was
    read; the bounds are those of the listings that may lie within it; and
    points_of(listing_ids) gives those listings' places read, for their
    geodesics (_Nearest.measure). A listing the bounds cannot place inside or
    outside gets its geodesic (low == high), as does one measured before.
    """
    count = len(circle.chord2)
    order = _nearest_first(circle.chord2, limit, circle.radius)
    chord2 = circle.chord2[order]
    radius = circle.radius
    if limit < count:
        radius = min(radius, math.sqrt(max(0.0, float(chord2[-1]))) - 2 * CHORD_SLACK_MILES)
    listing_ids = circle.listing_id[order]
    ids, first = _distinct_first(listing_ids)  # first: the position of each one's nearest place
    lows, highs = chord_bounds(np.sqrt(np.maximum(chord2[first], 0.0)))
    points_of = _points_of(circle.points(order))

    unsure = highs > radius
    if nearest.known:
        ask = [lid for lid, doubt in zip(ids.tolist(), unsure.tolist()) if doubt or lid in nearest.known]
    else:
        ask = ids[unsure].tolist()
    measured = nearest.measure(ask, points_of, radius)
    if measured:
        at = np.searchsorted(ids, np.fromiter(measured, dtype=ids.dtype, count=len(measured)))
        lows[at] = highs[at] = [miles for miles, _ in measured.values()]
    inside = lows <= radius
    return radius, _Bounds(ids[inside], lows[inside], highs[inside]), points_of


def _rank(found: _Bounds, radius: float, start: int, stop: int, nearest: _Nearest, points_of) -> list[Row]:
    """Rows start..stop of `found` in (geodesic miles, id) order, computing as few geodesics as the bounds allow.

    A listing surely precedes the page when fewer than `start` listings could
    come before or tie with it (have a low bound at most its high); it surely
    follows when `stop` listings surely come before it (have a high bound
    under its low). Only the rest are measured and sorted: the page is among them.
    """
    could_precede = np.searchsorted(np.sort(found.lows), found.highs, "right")
    surely_precede = np.searchsorted(np.sort(found.highs), found.lows, "left")
    before = could_precede <= start
    undecided = found.ids[~before & (surely_precede < stop)].tolist()
    skipped = int(np.count_nonzero(before))
    measured = [(miles, location_id, lid)
                for lid, (miles, location_id) in nearest.measure(undecided, points_of, radius).items()]
    measured.sort(key=lambda row: (row[0], row[2]))  # (miles, listing id), as a full scan orders them
    return [(lid, miles, location_id) for miles, location_id, lid in measured[start - skipped:stop - skipped]]


def _page_near(circle: _Circle, start: int, stop: int, total: int, nearest: _Nearest) -> list[Row]:
    """Rows start..stop of the listings within the circle, nearest first.

    The page lies among the `stop` nearest listings, so only about `stop`
    places are read, more when listings with several places use them up.
    """
    if start >= total:
        return []
    limit = stop + stop // 4 + 16  # places, not listings: a few listings have several
    while True:
        radius, found, points_of = _within(circle, nearest, limit)
        if len(found.ids) >= stop or limit >= len(circle.chord2):
            return _rank(found, radius, start, stop, nearest, points_of)
        limit *= 2


# -- remote-only listings, and every listing (without a place) ------------------------------

def _remote_areas(center: Centroid) -> tuple[str, ...]:
    return (center.state, NATIONWIDE)


def _page_in_areas(remote: place_index.Remote, where: _Where, areas: tuple[str, ...], offset: int,
                   limit: int) -> tuple[int, list[int]]:
    """How many listings with an entry in these areas pass the filters, and entries offset..offset+limit of
    them by rank: by name in the database's collation, then id. These are the remote-only listings that
    serve a ZIP's state or the whole country, or (ANY_PLACE) every listing. Entries are one per listing
    and area (a nationwide listing has only its "US" entry), so no listing comes twice.

    An area's entries are in rank order (place_index.Remote), so only the first offset+limit of each
    area that pass can be on the page: those are sorted, not all that pass (without a ZIP, a million).
    """
    stop = offset + max(limit, 0)
    total, ranks, listing_ids = 0, [], []
    for area in areas:
        at = remote.in_area(area)
        keep = where.passes(remote, at)
        total += int(np.count_nonzero(keep))
        first = _first_true(keep, stop) + at.start
        ranks.append(remote.rank[first])
        listing_ids.append(remote.listing_id[first])
    if offset >= min(stop, total):
        return total, []
    ranks, listing_ids = np.concatenate(ranks), np.concatenate(listing_ids)
    return total, listing_ids[np.argsort(ranks)[offset:stop]].tolist()


def _first_true(mask: np.ndarray, count: int) -> np.ndarray:
    """The positions of the first `count` true entries of mask (all of them if fewer), looking no further
    than needed."""
    span = max(64, 2 * count)
    while True:
        found = np.flatnonzero(mask[:span])
        if len(found) >= count or span >= len(mask):
            return found[:count]
        span *= 4


# -- loading what a page shows -------------------------------------------------------------------

def _with_details(stmt):
    """Eager-load everything a result or a listing page shows, in a few queries."""
    return stmt.options(
        selectinload(Listing.codes),
        selectinload(Listing.organization),
        selectinload(Listing.phones),
        selectinload(Listing.schedules),
        selectinload(Listing.service_at_locations).joinedload(ServiceAtLocation.location),
    )


def load_listings(ids: list[int]) -> dict[int, ResultCard]:
    """The listings of a results page, as what a result shows (no phones or schedules)."""
    return load_cards(ids)


def get_published_listing(listing_id: int) -> Listing | None:
    """A listing the public may see, with its details; None if there is none."""
    if not 0 < listing_id <= MAX_ID:  # a larger id is no listing, and overflows the database's integer
        return None
    return db.session.scalar(_with_details(select(Listing).where(Listing.id == listing_id, published())))


def run_search(query: SearchQuery, state=None, keep_rows: bool = True) -> SearchPage:
    """One page of results; what was found is cached per search generation (search_cache.py).

    `state`: search_index.current_state, if the caller has just read it. `keep_rows=False` for a
    caller that keeps its whole answer (the API's cached_json): keeping the rows too would be a
    second key, lookup and write on every miss, for a hit only another language or /search could use.
    """
    center = lookup_zip(query.zip) if query.zip else None
    connection = database.read_connection()
    if state is None:  # read once: the cache, the places and the cards answer for the same state
        state = search_index.current_state(connection)
    generation = search_index.cache_generation(connection, state) if keep_rows else None
    total, page_rows = search_cache.cached_rows(query, generation, lambda: _find(query, center, connection, state))
    listings = load_listings([lid for lid, _, _ in page_rows])
    hits = []
    for listing_id, miles, location_id in page_rows:
        listing = listings.get(listing_id)
        if listing is None:  # deleted behind the ORM's back, without search_index.refresh()
            continue
        location = next((loc for loc in listing.locations if loc.id == location_id), None)
        hits.append(Hit(listing, miles, location))
    return SearchPage(query=query, center=center, total=total, hits=hits)


def _candidates(center: Centroid, radius: float, where: _Where, places: place_index.Places) -> np.ndarray:
    """The listings a search near a place checks for its words (sorted, distinct): those in the circle and the
    remote-only ones serving its areas that pass the other filters.

    Asked one part at a time, a common word was looked up in the index up to as many listings as the circle
    held, then, the index holding more, looked for in the words of every one in the circle, then the areas'
    (at a million listings, hundreds of milliseconds each). Asked once for all of them, the index's answer
    is often the whole one (there are no more listings with the word than candidates), or else their words
    are read once."""
    plain = copy(where)
    plain.words = None
    ids = [_Circle(center, radius, plain, places).listing_id]
    for area in _remote_areas(center):
        at = places.remote.in_area(area)
        ids.append(_kept(plain.passes(places.remote, at), places.remote.listing_id[at])[0])
    return _distinct(np.concatenate(ids))


def _find(query: SearchQuery, center: Centroid | None, connection, state) -> tuple[int, list[Row]]:
    """(total, the page's rows)."""
    start = (query.page - 1) * query.per_page
    stop = start + query.per_page
    where = _Where(query)
    places = place_index.for_app(current_app).current(connection, state)
    if center is None:  # every listing that passes, by name: each has one entry in ANY_PLACE
        total, listing_ids = _page_in_areas(places.remote, where, (search_index.ANY_PLACE,), start, query.per_page)
        return total, [(lid, None, None) for lid in listing_ids]
    if where.words is not None:  # one look-up of the words for the circle and the areas, not one each
        where.words.among(_candidates(center, query.radius, where, places))
    circle = _Circle(center, query.radius, where, places)
    nearest = _Nearest(center)
    near_total = _count_near(circle, nearest)
    page_rows = _page_near(circle, start, stop, near_total, nearest)
    remote_total, remote_ids = _page_in_areas(places.remote, where, _remote_areas(center),
                                              max(0, start - near_total), query.per_page - len(page_rows))
    return near_total + remote_total, page_rows + [(lid, None, None) for lid in remote_ids]
