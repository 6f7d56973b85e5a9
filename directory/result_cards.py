"""What a search result shows of a listing: a ResultCard, stored as one JSON text.

A results page needs 20 listings' columns, codes, organization and places,
not the ORM's identity map, change tracking and relationship loaders: loading
them as Listing objects cost about as much as the search itself. A
ResultCard has the attribute names of Listing that results use (the result
card template, api/serialize.listing_summary and guidance), with the same
values, so both read it as they would read the listing.

search_index.refresh writes each published listing's card (`read_cards`, from
the listing's own tables, then `card_body`) to SearchCard with its entries, in
the same transaction; a results page reads its cards back by key in one query
(`load_cards`). Joining the listing, its organization, its codes and its places
for every page cost about a fifth of an API search. A change to what a card
holds needs a migration that calls search_index.rebuild(), as the stored cards
are read as they were written.

Cards are kept per process for the current search generation
(search_index.current_state: every write to a listing, its codes, places or
organization changes it), at most CARDS_KEPT of them, most recently used
first: a city's listings come back in search after search, whatever the
filters, radius or page. A card also keeps what the API made of it
(`rendered`), per day, language and URL root. A connection with writes of its own
not yet committed reads its own cards and keeps none.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date
from types import SimpleNamespace

import msgspec
from flask import current_app
from sqlalchemy import bindparam, func, select

from .extensions import db
from .models import Listing, ListingCode, Location, Organization, SearchCard, ServiceAtLocation

_COLUMNS = ("id", "name", "kind", "session_format", "moderation", "online_mode", "membership", "cost",
            "license_type", "license_state", "accepting_clients", "privacy_policy_url", "records_sessions",
            "anonymity_allowed", "medical_advice_policy", "last_verified", "is_demo")
_CODE_ATTRIBUTES = {"delivery": "delivery", "audience": "audience", "journey_stage": "journey_stage",
                    "cancer_type": "cancer_type", "language": "languages", "service_area": "service_area"}
_LOCATION_COLUMNS = (Location.id, Location.name, Location.address_1, Location.city, Location.state,
                     Location.postal_code, Location.latitude, Location.longitude)

# Built once: SQLAlchemy then reuses their cache keys and compiled SQL (building anew each time cost more).
_IDS = bindparam("ids", expanding=True)
# A listing's codes come along as one string, "field=code,field=code" (codes are vocabulary words and
# state abbreviations: neither holds "=" or ","): 20 rows a page instead of some 160.
_CODES_OF = (select(func.aggregate_strings(ListingCode.field + "=" + ListingCode.code, ","))
             .where(ListingCode.listing_id == Listing.id).scalar_subquery())
_LISTINGS = (select(*(getattr(Listing, name) for name in _COLUMNS), Organization.id.label("organization_id"),
                    Organization.name.label("organization_name"), _CODES_OF.label("codes"))
             .join(Organization, Organization.id == Listing.organization_id).where(Listing.id.in_(_IDS)))
_PLACES = (select(ServiceAtLocation.listing_id, *_LOCATION_COLUMNS)
           .join(Location, Location.id == ServiceAtLocation.location_id)
           .where(ServiceAtLocation.listing_id.in_(_IDS)).order_by(ServiceAtLocation.id))
_LOCATION_FIELDS = tuple(column.key for column in _LOCATION_COLUMNS)
_STORED = select(SearchCard.body).where(SearchCard.listing_id.in_(_IDS))
_SET_AS_STORED = (*_COLUMNS, *_CODE_ATTRIBUTES.values())
_decode = msgspec.json.Decoder().decode  # about 40% of json.loads's time


class ResultCard:
    """A listing as results show it (read-only): Listing's attribute names, plain values."""

    __slots__ = (*_COLUMNS, "organization", "locations", *_CODE_ATTRIBUTES.values(), "rendered")

    # Listing's own definitions: they read only attributes a card has under the same names.
    telehealth_states = Listing.telehealth_states
    is_remote_only = Listing.is_remote_only
    is_online = Listing.is_online

    def __repr__(self) -> str:
        return f"<ResultCard {self.id} {self.name!r}>"


CARDS_KEPT = 4000  # about 4 MB with their rendered summaries; a worker must stay well under 300 MB


class _KeptCards:
    """The cards of one generation, least recently used dropped first (thread-safe: gthread workers share it)."""

    def __init__(self):
        self.generation: int | None = None
        self.cards: OrderedDict[int, ResultCard] = OrderedDict()
        self.lock = threading.Lock()

    def take(self, generation: int, ids: list[int]) -> dict[int, ResultCard]:
        with self.lock:
            if generation != self.generation:
                self.generation, self.cards = generation, OrderedDict()
                return {}
            found = {}
            for listing_id in ids:
                card = self.cards.get(listing_id)
                if card is not None:
                    self.cards.move_to_end(listing_id)
                    found[listing_id] = card
            return found

    def keep(self, generation: int, cards: dict[int, ResultCard]) -> None:
        with self.lock:
            if generation != self.generation:
                return
            self.cards.update(cards)
            while len(self.cards) > CARDS_KEPT:
                self.cards.popitem(last=False)


def _kept() -> _KeptCards:
    app = current_app._get_current_object()
    kept = app.extensions.get("result_cards")
    if kept is None:
        kept = app.extensions["result_cards"] = _KeptCards()
    return kept


def load_cards(ids: list[int], generation: int | None = None) -> dict[int, ResultCard]:
    """{id: card} for these listings (those with a stored card: the published ones search found).

    `generation`: the search generation the caller read (search_index.current_state); cards kept
    for it are reused and new ones kept. None (no state, or the caller's own writes not yet
    committed) reads every card afresh and keeps none.
    """
    if not ids:
        return {}
    connection = db.session.connection()
    if generation is None:
        return _stored_cards(connection, ids)
    kept = _kept()
    cards = kept.take(generation, ids)
    missing = [listing_id for listing_id in ids if listing_id not in cards]
    if missing:
        read = _stored_cards(connection, missing)
        kept.keep(generation, read)
        cards.update(read)
    return cards


def _stored_cards(connection, ids: list[int]) -> dict[int, ResultCard]:
    cards = (_card_from_body(body) for body in connection.execute(_STORED, {"ids": ids}).scalars())
    return {card.id: card for card in cards}


def card_body(card: ResultCard) -> str:
    """The card as SearchCard stores it: JSON, the attributes by name, places as lists of _LOCATION_FIELDS."""
    data = {name: getattr(card, name) for name in _COLUMNS}
    if card.last_verified is not None:
        data["last_verified"] = card.last_verified.isoformat()
    data["organization"] = [card.organization.id, card.organization.name]
    data["locations"] = [[getattr(loc, field) for field in _LOCATION_FIELDS] for loc in card.locations]
    data.update({attribute: getattr(card, attribute) for attribute in _CODE_ATTRIBUTES.values()})
    return msgspec.json.encode(data).decode()


def _card_from_body(body: str) -> ResultCard:
    data = _decode(body)
    card = ResultCard()
    for name in _SET_AS_STORED:
        setattr(card, name, data[name])
    if card.last_verified is not None:
        card.last_verified = date.fromisoformat(card.last_verified)
    organization_id, organization_name = data["organization"]
    card.organization = SimpleNamespace(id=organization_id, name=organization_name)
    card.locations = [SimpleNamespace(**dict(zip(_LOCATION_FIELDS, place))) for place in data["locations"]]
    card.rendered = {}
    return card


def read_cards(connection, ids: list[int]) -> dict[int, ResultCard]:
    """The cards of these listings from their own tables (search_index.refresh stores them)."""
    cards: dict[int, ResultCard] = {}
    for row in connection.execute(_LISTINGS, {"ids": ids}):
        card = ResultCard()
        for name, value in zip(_COLUMNS, row):  # the statement's first columns, in this order
            setattr(card, name, value)
        card.organization = SimpleNamespace(id=row.organization_id, name=row.organization_name)
        card.locations = []
        card.rendered = {}
        codes = {field: [] for field in _CODE_ATTRIBUTES}
        # "field=code" pairs, ordered by code as Listing.codes is
        for code, field in sorted(pair.split("=")[::-1] for pair in row.codes.split(",")) if row.codes else ():
            if field in codes:
                codes[field].append(code)
        for field, attribute in _CODE_ATTRIBUTES.items():
            setattr(card, attribute, codes[field])
        cards[row.id] = card
    for row in connection.execute(_PLACES, {"ids": ids}):
        if row.listing_id in cards:
            cards[row.listing_id].locations.append(
                SimpleNamespace(**{field: getattr(row, field) for field in _LOCATION_FIELDS}))
    return cards
