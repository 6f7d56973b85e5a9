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

Each page reads its cards afresh: msgspec decodes a stored card straight into
a ResultCard in about 2 µs. (Until that, each process kept the last 4,000
cards it read and what the API made of them; with cards this cheap to read,
keeping them saved nothing measurable, for 23 MB a process.)
"""
from __future__ import annotations

from datetime import date

import msgspec
from sqlalchemy import bindparam, func, select

from . import database
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


class CardOrganization(msgspec.Struct, array_like=True):
    """A card's organization, stored as [id, name]."""
    id: int
    name: str


class CardPlace(msgspec.Struct, array_like=True):
    """One of a card's locations (_LOCATION_COLUMNS), stored as a list of its fields in this order."""
    id: int
    name: str
    address_1: str
    city: str
    state: str
    postal_code: str
    latitude: float
    longitude: float


class ResultCard(msgspec.Struct):
    """A listing as results show it: Listing's attribute names and value types (its columns' nullability),
    so that the stored JSON is decoded straight into one (msgspec checks every value as it reads it)."""

    id: int
    name: str
    kind: str
    session_format: str
    moderation: str | None
    online_mode: str | None
    membership: str | None
    cost: str
    license_type: str | None
    license_state: str | None
    accepting_clients: bool | None
    privacy_policy_url: str | None
    records_sessions: bool | None
    anonymity_allowed: bool | None
    medical_advice_policy: str | None
    last_verified: date | None
    is_demo: bool
    organization: CardOrganization
    locations: list[CardPlace]
    delivery: list[str]
    audience: list[str]
    journey_stage: list[str]
    cancer_type: list[str]
    languages: list[str]
    service_area: list[str]
    # Listing's own definitions: they read only attributes a card has under the same names.
    telehealth_states = Listing.telehealth_states
    is_remote_only = Listing.is_remote_only
    is_online = Listing.is_online

    def __repr__(self) -> str:
        return f"<ResultCard {self.id} {self.name!r}>"


# Stored cards are read straight into ResultCards: about a quarter of the time of json.loads and
# setting each attribute.
_decode = msgspec.json.Decoder(ResultCard).decode
_encode = msgspec.json.Encoder().encode


def load_cards(ids: list[int]) -> dict[int, ResultCard]:
    """{id: card} for these listings (those with a stored card: the published ones search found)."""
    if not ids:
        return {}
    connection = database.read_connection()
    # On the driver's connection: through SQLAlchemy, reading 20 stored texts cost three times as much.
    where, params = database.any_of(connection, "listing_id", ids)
    rows = database.driver_rows(connection, f"SELECT body FROM {SearchCard.__tablename__} WHERE {where}", params)
    return {card.id: card for card in (_decode(body) for body, in rows)}


def card_body(card: ResultCard) -> str:
    """The card as SearchCard stores it: JSON, the attributes by name, the organization as [id, name] and
    places as lists (what ResultCard decodes)."""
    return _encode(card).decode()


def read_cards(connection, ids: list[int]) -> dict[int, ResultCard]:
    """The cards of these listings from their own tables (search_index.refresh stores them)."""
    places: dict[int, list[CardPlace]] = {listing_id: [] for listing_id in ids}
    for row in connection.execute(_PLACES, {"ids": ids}):
        places[row.listing_id].append(CardPlace(*row[1:]))  # the statement's columns after listing_id
    cards: dict[int, ResultCard] = {}
    for row in connection.execute(_LISTINGS, {"ids": ids}):
        codes = {field: [] for field in _CODE_ATTRIBUTES}
        # "field=code" pairs, ordered by code as Listing.codes is
        for code, field in sorted(pair.split("=")[::-1] for pair in row.codes.split(",")) if row.codes else ():
            if field in codes:
                codes[field].append(code)
        cards[row.id] = ResultCard(
            **dict(zip(_COLUMNS, row)),  # the statement's first columns, in this order
            organization=CardOrganization(row.organization_id, row.organization_name),
            locations=places[row.id],
            **{attribute: codes[field] for field, attribute in _CODE_ATTRIBUTES.items()})
    return cards
