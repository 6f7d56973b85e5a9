"""What a search result shows of a listing, read with three Core queries.

A results page needs 20 listings' columns, codes, organization and places,
not the ORM's identity map, change tracking and relationship loaders: loading
them as Listing objects cost about as much as the search itself. A
ResultCard has the attribute names of Listing that results use (the result
card template, api/serialize.listing_summary and guidance), with the same
values, so both read it as they would read the listing.
"""
from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace

from sqlalchemy import bindparam, select

from .extensions import db
from .models import Listing, ListingCode, Location, Organization, ServiceAtLocation
from .vocabulary import NATIONWIDE, REMOTE_DELIVERY

_COLUMNS = ("id", "name", "kind", "session_format", "moderation", "online_mode", "membership", "cost",
            "license_type", "license_state", "accepting_clients", "privacy_policy_url", "records_sessions",
            "anonymity_allowed", "medical_advice_policy", "last_verified", "is_demo", "created_at", "updated_at")
_CODE_ATTRIBUTES = {"delivery": "delivery", "audience": "audience", "journey_stage": "journey_stage",
                    "cancer_type": "cancer_type", "language": "languages", "service_area": "service_area"}
_LOCATION_COLUMNS = (Location.id, Location.name, Location.address_1, Location.city, Location.state,
                     Location.postal_code, Location.latitude, Location.longitude)

# Built once: SQLAlchemy then reuses their cache keys and compiled SQL (building anew each time cost more).
_IDS = bindparam("ids", expanding=True)
_LISTINGS = (select(*(getattr(Listing, name) for name in _COLUMNS), Organization.id.label("organization_id"),
                    Organization.name.label("organization_name"))
             .join(Organization, Organization.id == Listing.organization_id).where(Listing.id.in_(_IDS)))
# Listing.codes is ordered by code; so are these.
_CODES = (select(ListingCode.listing_id, ListingCode.field, ListingCode.code)
          .where(ListingCode.listing_id.in_(_IDS)).order_by(ListingCode.code))
_PLACES = (select(ServiceAtLocation.listing_id, *_LOCATION_COLUMNS)
           .join(Location, Location.id == ServiceAtLocation.location_id)
           .where(ServiceAtLocation.listing_id.in_(_IDS)).order_by(ServiceAtLocation.id))


class ResultCard:
    """A listing as results show it (read-only): Listing's attribute names, plain values."""

    __slots__ = (*_COLUMNS, "organization", "locations", *_CODE_ATTRIBUTES.values())

    @property
    def telehealth_states(self) -> list[str]:
        return [s for s in self.service_area if s != NATIONWIDE] if self.kind == "counseling" else []

    @property
    def is_remote_only(self) -> bool:
        return not self.locations and any(d in REMOTE_DELIVERY for d in self.delivery)

    @property
    def is_online(self) -> bool:
        return "online" in self.delivery

    def __repr__(self) -> str:
        return f"<ResultCard {self.id} {self.name!r}>"


def load_cards(ids: list[int]) -> dict[int, ResultCard]:
    """{id: card} for these listings (any that exist; the caller knows they are published)."""
    if not ids:
        return {}
    connection = db.session.connection()
    cards: dict[int, ResultCard] = {}
    for row in connection.execute(_LISTINGS, {"ids": ids}):
        card = ResultCard()
        for name in _COLUMNS:
            setattr(card, name, getattr(row, name))
        card.organization = SimpleNamespace(id=row.organization_id, name=row.organization_name)
        card.locations = []
        for attribute in _CODE_ATTRIBUTES.values():
            setattr(card, attribute, [])
        cards[row.id] = card
    codes = defaultdict(list)
    for listing_id, field, code in connection.execute(_CODES, {"ids": ids}):
        codes[listing_id, field].append(code)
    for (listing_id, field), values in codes.items():
        if field in _CODE_ATTRIBUTES and listing_id in cards:
            setattr(cards[listing_id], _CODE_ATTRIBUTES[field], values)
    for row in connection.execute(_PLACES, {"ids": ids}):
        if row.listing_id in cards:
            cards[row.listing_id].locations.append(
                SimpleNamespace(id=row.id, name=row.name, address_1=row.address_1, city=row.city, state=row.state,
                                postal_code=row.postal_code, latitude=row.latitude, longitude=row.longitude))
    return cards
