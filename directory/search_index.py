"""The search index: SearchEntry rows, kept in step with the listings they copy.

search.py reads this table (through place_index.py) for every search; this module writes it.
A published listing gets one entry per location (with the point's band and
Earth-centred coordinates, see geo.py) or, if it has no location, one entry
per service area; and one more whose area is ANY_PLACE, for searches without
a ZIP. Every filterable code becomes a bit in `filter_bits_1/2`, so
a filter is `bits & mask != 0` on a column of the covering index instead of
an EXISTS subquery per candidate row.

Entries follow the ORM: after each flush, the entries of every listing whose
row, codes or locations were touched are rewritten from the database, in the
same transaction. Writes that bypass the ORM (bulk Core inserts, raw SQL)
must call `refresh(connection, listing_ids)` or `rebuild(connection)`.

With the entries go the listing's card (SearchCard: what a result shows of it,
result_cards.py) and its words (SearchText: what a search's words are looked
for in), rewritten at the same moments.

Every such write also changes the search generation (`bump_generation`, in
the same transaction), and so does a change to an organization (results show
its name): cached search answers (search_cache.py) are keyed on it, so none
outlives the commit of a write that could change it.
"""
from __future__ import annotations

import secrets
from collections import defaultdict
from itertools import chain
from typing import Iterable, Iterator

from sqlalchemy import and_, bindparam, delete, event, func, insert, inspect, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import Pool
from sqlalchemy.orm import Session

from . import database, result_cards
from .freshness import fresh_until
from .geo import earth_xyz, latitude_band
from .models import (Listing, ListingCode, Location, Organization, SearchCard, SearchEntry, SearchText,
                     ServiceAtLocation)
from .models.search_entry import SearchIndexChange, SearchIndexState
from .vocabulary import MULTI_FIELDS, NATIONWIDE, SINGLE_FIELDS

# -- filter bits ----------------------------------------------------------------
# Each (field, code) that search can filter on owns one bit of one of the two
# 62-bit words, in vocabulary order. Stored entries depend on this layout:
# changing a vocabulary (even appending a code) changes it, so such a change
# needs a migration that calls rebuild(). tests/test_search_index.py pins it.

ACCEPTING_CLIENTS = {"true": True, "false": False}
_BIT_FIELDS = {**{name: tuple(codes) for name, codes in SINGLE_FIELDS.items()},
               "accepting_clients": tuple(ACCEPTING_CLIENTS),
               **{name: tuple(codes) for name, codes in MULTI_FIELDS.items()}}
WORD_BITS = 62


def _layout() -> dict[str, tuple[int, dict[str, int]]]:
    """field -> (word 1 or 2, {code: bit value})."""
    layout, word, used = {}, 1, 0
    for name, codes in _BIT_FIELDS.items():
        if used + len(codes) > WORD_BITS:
            word, used = word + 1, 0
        layout[name] = (word, {code: 1 << (used + i) for i, code in enumerate(codes)})
        used += len(codes)
    assert word <= 2, "the filter codes no longer fit in two words"
    return layout


BIT_LAYOUT = _layout()


def mask(field: str, codes: Iterable[str]) -> int:
    """The bits of these codes of this field (in word BIT_LAYOUT[field][0]: filter_bits_1 or _2).

    A code the layout lacks (added to the vocabulary without the migration that rebuilds the entries) has no
    bit, as in filter_bits: no entry holds it, so it finds nothing instead of failing."""
    bits = BIT_LAYOUT[field][1]
    value = 0
    for code in codes:
        value |= bits.get(code, 0)
    return value


def filter_bits(values: dict[str, Iterable[str]]) -> tuple[int, int]:
    """The two words for a listing whose fields hold these codes (unknown codes get no bit)."""
    words = {1: 0, 2: 0}
    for name, codes in values.items():
        word, bits = BIT_LAYOUT[name]
        for code in codes:
            words[word] |= bits.get(code, 0)
    return words[1], words[2]


# -- building entries -------------------------------------------------------------

# The area of the one entry every published listing has besides its places or service areas: a search
# without a ZIP lists every listing that passes its filters, by name, and reads these entries in memory
# (place_index.Remote, ranked in that order) rather than counting and sorting the listings in SQL.
ANY_PLACE = "*"

_LISTING_COLUMNS = (Listing.id, Listing.name, Listing.accepting_clients, Listing.last_verified, Listing.created_at,
                    *(getattr(Listing, name) for name in SINGLE_FIELDS))
_PUBLISHED = and_(Listing.status == "approved", Listing.service_status == "active")
_CODE_FIELDS = (*MULTI_FIELDS, "service_area")
_INSERT = insert(SearchEntry).values(sort_name=func.lower(bindparam("name")))  # the database's lower(), as ORDER BY had
_INSERT_CARD = insert(SearchCard)
_INSERT_TEXT = insert(SearchText)
_WORDS_OF = (select(Listing.id, Listing.name, Listing.description, Listing.description_es, Organization.name)
             .join(Organization, Organization.id == Listing.organization_id)
             .where(Listing.id.in_(bindparam("ids", expanding=True))))
# Between a card's texts: no word of a search holds it (str.split() splits at it), so a word is found
# in the joined text exactly when one of the texts holds it.
WORDS_SEPARATOR = "\x1f"


def fold_words(text: str) -> str:
    """A listing's words, or a search's, as they are compared: case folded as Unicode folds it (Python's
    casefold: "Straße" as "strasse", "ÉCOLE" as "école"), the same on every database, where their lower()
    folds ASCII only (SQLite) or as the database's locale says (PostgreSQL).

    It also takes the only two characters outside ASCII that SQLite's FTS5 trigram index folds to an ASCII
    letter (long s and the Kelvin sign: tests/test_search.py goes through every code point) to s and k, so
    that for a word in ASCII the index alone answers what the LIKEs would (search._fts_decides)."""
    return text.casefold()


def listing_words(*texts: str | None) -> str:
    """One text of a listing's name, descriptions and organization's name, for finding search words in."""
    return fold_words(WORDS_SEPARATOR.join(text or "" for text in texts))


def _entries(listing_ids: list[int] | None, connection: Connection, after_id: int = 0, limit: int | None = None):
    """(entry rows, listing ids): dicts for _INSERT and the ids of these published listings, or of a page of
    all of them by id (a listing with neither a place nor an area has no entry, and is still published)."""
    stmt = select(*_LISTING_COLUMNS).where(_PUBLISHED).order_by(Listing.id)
    if listing_ids is not None:
        stmt = stmt.where(Listing.id.in_(listing_ids))
    else:
        stmt = stmt.where(Listing.id > after_id).limit(limit)
    listings = connection.execute(stmt).all()
    ids = [row.id for row in listings]
    if not listings:
        return [], ids
    codes: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for listing_id, field, code in connection.execute(
            select(ListingCode.listing_id, ListingCode.field, ListingCode.code)
            .where(ListingCode.listing_id.in_(ids), ListingCode.field.in_(_CODE_FIELDS))):
        codes[listing_id][field].append(code)
    points: dict[int, list] = defaultdict(list)
    for listing_id, location_id, lat, lon in connection.execute(
            select(ServiceAtLocation.listing_id, Location.id, Location.latitude, Location.longitude)
            .join(Location, Location.id == ServiceAtLocation.location_id)
            .where(ServiceAtLocation.listing_id.in_(ids))):
        points[listing_id].append((location_id, lat, lon))

    rows = []
    for listing in listings:
        own = codes[listing.id]
        values = {name: [getattr(listing, name)] for name in SINGLE_FIELDS if getattr(listing, name) is not None}
        if listing.accepting_clients is not None:
            values["accepting_clients"] = ["true" if listing.accepting_clients else "false"]
        values.update({name: own[name] for name in MULTI_FIELDS})
        bits_1, bits_2 = filter_bits(values)
        common = {"listing_id": listing.id, "name": listing.name, "filter_bits_1": bits_1, "filter_bits_2": bits_2,
                  "fresh_until": fresh_until(listing.last_verified, listing.created_at)}
        if points[listing.id]:
            for location_id, lat, lon in points[listing.id]:
                x, y, z = earth_xyz(lat, lon)
                rows.append({**common, "location_id": location_id, "area": None, "band": latitude_band(lat),
                             "latitude": lat, "longitude": lon, "x": x, "y": y, "z": z,
                             "listing_places": len(points[listing.id])})
        else:
            # A nationwide listing covers every state: one entry, so no listing is found twice.
            areas = [NATIONWIDE] if NATIONWIDE in own["service_area"] else own["service_area"]
            for area in areas:
                rows.append({**common, "location_id": None, "area": area, "band": None, "latitude": None,
                             "longitude": None, "x": None, "y": None, "z": None, "listing_places": 0})
        rows.append({**common, "location_id": None, "area": ANY_PLACE, "band": None, "latitude": None,
                     "longitude": None, "x": None, "y": None, "z": None, "listing_places": 0})
    return rows, ids


def _write(connection: Connection, rows: list[dict], listing_ids: list[int], cards: bool = True) -> None:
    """Insert these entry rows, and the cards and words of these published listings (search without a ZIP
    shows those with no entry too)."""
    if rows:
        connection.execute(_INSERT, rows)
    if cards and listing_ids:
        connection.execute(_INSERT_CARD, [{"listing_id": listing_id, "body": result_cards.card_body(card)}
                                          for listing_id, card in result_cards.read_cards(connection, listing_ids).items()])
        connection.execute(_INSERT_TEXT, [{"listing_id": row[0], "words": listing_words(*row[1:])}
                                          for row in connection.execute(_WORDS_OF, {"ids": listing_ids})])


def _chunks(items: list[int], size: int = 500) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# -- the generation ------------------------------------------------------------------

_STATE_ID = 1


def bump_generation(connection: Connection, new_epoch: bool = False) -> None:
    """Give search a new generation, in the connection's transaction: cached answers stop matching on commit.

    `new_epoch`: every entry was rewritten, so copies of them (place_index.py) must reload, not follow changes.
    """
    values = {"generation": secrets.randbits(62)}
    if new_epoch:
        values["epoch"] = secrets.randbits(62)
    changed = connection.execute(update(SearchIndexState).where(SearchIndexState.id == _STATE_ID)
                                 .values(**values)).rowcount
    if not changed:  # the table was emptied (tests do, between tests): a new row is a new epoch
        connection.execute(insert(SearchIndexState).values(id=_STATE_ID, epoch=secrets.randbits(62), **values))


_STATE = f"SELECT generation, epoch FROM {SearchIndexState.__tablename__} WHERE id = {_STATE_ID}"


def current_state(connection: Connection) -> tuple[int, int | None] | None:
    """(generation, epoch) as this connection sees them; None when there is no row yet (nothing may be kept).

    One search reads it once and hands it to the result cache, the places and the cards, so that
    all three answer for the same generation.
    """
    rows = database.driver_rows(connection, _STATE)  # every search reads it: SQLAlchemy's execution cost more
    return rows[0] if rows else None


# A connection whose transaction rewrote entries not yet committed is marked until it commits or rolls
# back, so that place_index.py neither shares what it reads there nor misses it for that connection.
_PENDING = "search_index_pending_rewrites"


def _mark_pending(connection: Connection) -> None:
    connection.info[_PENDING] = True


def has_pending_rewrites(connection: Connection) -> bool:
    return bool(connection.info.get(_PENDING))


def cache_generation(connection: Connection, state) -> int | None:
    """The generation a cached answer may be kept under: None when there is no state yet, or when this
    connection's own uncommitted rewrites are in what it reads (no other request sees those)."""
    return None if state is None or has_pending_rewrites(connection) else state[0]


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _settled(connection: Connection) -> None:
    connection.info.pop(_PENDING, None)


@event.listens_for(Pool, "reset")
def _returned_to_pool(_dbapi_connection, connection_record, _reset_state) -> None:
    connection_record.info.pop(_PENDING, None)


KEEP_CHANGES = 100_000  # change rows kept; a process further behind than this reloads every place
_LOG_CHANGE = insert(SearchIndexChange)
_PRUNE_CHANGES = delete(SearchIndexChange).where(
    SearchIndexChange.seq <= select(func.max(SearchIndexChange.seq)).scalar_subquery() - KEEP_CHANGES)


def refresh(connection: Connection, listing_ids: Iterable[int]) -> None:
    """Rewrite the entries of these listings from the database as it is now, and log them as changed."""
    bump_generation(connection)  # first: its row lock orders the change log's seqs (SearchIndexChange)
    _mark_pending(connection)
    listing_ids = sorted(set(listing_ids))
    for ids in _chunks(listing_ids):
        connection.execute(delete(SearchEntry).where(SearchEntry.listing_id.in_(ids)))
        connection.execute(delete(SearchCard).where(SearchCard.listing_id.in_(ids)))
        connection.execute(delete(SearchText).where(SearchText.listing_id.in_(ids)))
        _write(connection, *_entries(ids, connection))
        connection.execute(_LOG_CHANGE, [{"listing_id": listing_id} for listing_id in ids])
    if listing_ids:
        connection.execute(_PRUNE_CHANGES)


def rebuild(connection: Connection, batch: int = 5000, progress=None, new_generation: bool = True,
            cards: bool = True) -> int:
    """Rewrite every entry and card (after bulk loads, and in the migrations that made the tables).

    `new_generation=False` and `cards=False` only for the migration that made the entries, older
    than the generation's and the cards' tables.
    """
    if new_generation:
        bump_generation(connection, new_epoch=True)
        connection.execute(delete(SearchIndexChange))  # every copy reloads: the log has nothing left to tell
    _mark_pending(connection)
    connection.execute(delete(SearchEntry))
    if cards:
        connection.execute(delete(SearchCard))
        connection.execute(delete(SearchText))
    after_id, done = 0, 0
    while True:
        rows, ids = _entries(None, connection, after_id, batch)
        if not ids:
            return done
        _write(connection, rows, ids, cards)
        after_id = ids[-1]
        done += len(rows)
        if progress:
            progress(after_id)


# -- keeping entries current ------------------------------------------------------

@event.listens_for(Session, "after_flush")
def _refresh_touched_listings(session: Session, _flush_context) -> None:
    listing_ids, location_ids, organizations, renamed = set(), set(), False, set()
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Organization):
            organizations = True
            if obj in session.dirty and inspect(obj).attrs.name.history.has_changes():
                renamed.add(obj.id)  # results show its name: its listings' cards are rewritten
        elif isinstance(obj, Listing):
            listing_ids.add(obj.id)
        elif isinstance(obj, (ListingCode, ServiceAtLocation)):
            listing_ids.add(obj.listing_id)
        elif isinstance(obj, Location):
            location_ids.add(obj.id)
    location_ids.discard(None)
    if location_ids:  # a moved location moves every listing offered there
        listing_ids.update(session.connection().scalars(
            select(ServiceAtLocation.listing_id).where(ServiceAtLocation.location_id.in_(location_ids))))
    if renamed:
        listing_ids.update(session.connection().scalars(
            select(Listing.id).where(Listing.organization_id.in_(renamed))))
    listing_ids.discard(None)
    if listing_ids:
        refresh(session.connection(), listing_ids)  # bumps the generation
    elif organizations or location_ids:
        bump_generation(session.connection())
