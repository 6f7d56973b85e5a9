from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class SearchEntry(db.Model):
    """Where a published listing can be found: a denormalised copy for fast search.

    Not part of HSDS and never edited by hand: directory/search_index.py
    rewrites a listing's entries whenever the listing, its codes or its
    locations change. One row per (listing, location) with the location's
    band, longitude, latitude and Earth-centred x, y, z (geo.earth_xyz); or,
    for a remote-only listing, one row per service area (`area`: a state or
    "US"). `filter_bits_1/2` pack every filterable code, so a radius search
    filters and measures inside one covering index, without joins.
    """

    __tablename__ = "search_entry"
    __table_args__ = (
        # Every column of a place, in the order place_index.py loads them, so that load is one index-only scan.
        Index("ix_search_entry_place", "band", "longitude", "latitude", "x", "y", "z",
              "filter_bits_1", "filter_bits_2", "listing_id", "fresh_until", "listing_places", "location_id", "id"),
        # The remote entries in a remote page's order, with the columns place_index.py keeps of them: read
        # in order as a process loads them, and sought for a changed listing's neighbours in that order.
        Index("ix_search_entry_remote_order", "sort_name", "listing_id", "area", "filter_bits_1", "filter_bits_2",
              "fresh_until", sqlite_where=text("area IS NOT NULL"), postgresql_where=text("area IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listing.id", ondelete="CASCADE"), index=True)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id", ondelete="CASCADE"), index=True)
    area: Mapped[str | None] = mapped_column(String(2))
    sort_name: Mapped[str] = mapped_column(Text)  # the database's lower(listing.name), for remote ordering
    band: Mapped[int | None]
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    x: Mapped[float | None] = mapped_column(Float)
    y: Mapped[float | None] = mapped_column(Float)
    z: Mapped[float | None] = mapped_column(Float)
    filter_bits_1: Mapped[int] = mapped_column(BigInteger, default=0)
    filter_bits_2: Mapped[int] = mapped_column(BigInteger, default=0)
    # How many locations the listing has (0 for remote entries): counting the listings in a circle
    # needs DISTINCT only among the few with several, which keeps the count a cheap pass.
    listing_places: Mapped[int] = mapped_column(default=0)
    # The last day the listing stays in search unconfirmed (freshness.py): the clock cannot rewrite
    # entries, so each carries its own expiry and search compares it with today.
    fresh_until: Mapped[date | None] = mapped_column(Date)


class SearchIndexState(db.Model):
    """One row: a number that changes with every write to what search shows (search_index.bump_generation).

    Cached search answers (search_cache.py) are keyed on it, so a write makes
    every earlier answer unreachable at once, in every process, when it commits.
    It is a random number, not a counter, so that it never comes back to an
    earlier value, even after the table is emptied and refilled.

    `epoch` changes only when every entry is rewritten (search_index.rebuild) or
    the row is made anew: a process's copy of the places (place_index.py) then
    reloads them all instead of following SearchIndexChange.
    """

    __tablename__ = "search_index_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger)
    epoch: Mapped[int | None] = mapped_column(BigInteger)


class SearchIndexChange(db.Model):
    """A listing whose entries were rewritten (search_index.refresh), in commit order.

    Each process keeps the places in memory (place_index.py) and, when the
    generation moves, rereads only the listings named after the last `seq` it
    applied. Rows are written after the generation's row is updated in the same
    transaction, so writers hold that row's lock while they take a seq: seqs
    become visible in increasing order, and a reader that has seen seq N will
    never later see a smaller one commit. Only the last KEEP_CHANGES are kept;
    a process further behind reloads everything.
    """

    __tablename__ = "search_index_change"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                     autoincrement=True)
    listing_id: Mapped[int]


class SearchCard(db.Model):
    """What a search result shows of a published listing, as one JSON text (result_cards.card_body).

    Another denormalised copy, written with the listing's entries (search_index.refresh): a
    results page reads its 20 cards by key in one query, instead of joining the listing, its
    organization, its codes and its places for each (about a fifth of an API search's time).
    """

    __tablename__ = "search_card"

    listing_id: Mapped[int] = mapped_column(ForeignKey("listing.id", ondelete="CASCADE"), primary_key=True,
                                            autoincrement=False)
    body: Mapped[str] = mapped_column(Text)


class SearchText(db.Model):
    """What a search's words (q) are looked for in: a published listing's name, descriptions and
    organization's name, apart, case folded (search_index.listing_words), written with its card.

    A table of its own, narrow, so that the trigram index over it (search._with_words: SQLite's FTS5 table
    search_words, PostgreSQL's pg_trgm GIN index) finds and checks its candidates without reading the
    cards: in search_card, PostgreSQL's check of "cedar" at a million listings read 16,716 pages of cards
    (118-677 ms), in this table 7,229 (20 ms; bench/README.md, eleventh round). Kept folded by Python, not
    by the database's lower() (ASCII only on SQLite, the locale's on PostgreSQL), so that both databases
    find the same, in every alphabet.
    """

    __tablename__ = "search_text"

    listing_id: Mapped[int] = mapped_column(ForeignKey("listing.id", ondelete="CASCADE"), primary_key=True,
                                            autoincrement=False)
    words: Mapped[str] = mapped_column(Text, default="", server_default="")
