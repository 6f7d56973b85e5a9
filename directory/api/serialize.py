"""Listings as JSON for /api/v1 (one shape for search results and listing pages).

The TypedDicts below are the response shapes; the functions return them, and
api/openapi.py derives the published JSON Schemas from them, so the document
describes what this module builds.
"""
from __future__ import annotations

from datetime import date
from typing import Annotated

from flask import has_request_context, url_for
from pydantic import Field
from typing_extensions import TypedDict  # pydantic reads typing.TypedDict only from Python 3.12

from .. import guidance
from ..content import current_language
from ..geo import Centroid
from ..models import Listing, Location
from ..presenters import listing_url_prefix, schedule_in_words
from ..search import SearchPage

IsoDate = Annotated[str, Field(json_schema_extra={"format": "date"})]
Url = Annotated[str, Field(json_schema_extra={"format": "uri"})]
HourMinute = Annotated[str, Field(pattern=r"^\d{2}:\d{2}$")]


class LocationOut(TypedDict):
    """A place where a listing meets (no street address for online or phone-only listings)."""
    name: str
    address_1: str
    city: str
    state: str
    postal_code: str
    latitude: float
    longitude: float


class Center(TypedDict):
    """The searched ZIP code's centre."""
    zip: str
    lat: float
    lon: float
    city: str
    state: str


class OrganizationRef(TypedDict):
    id: int
    name: str


class GuidanceNote(TypedDict):
    """Advice on judging this listing (short in results, full on a listing)."""
    code: str
    text: str


class ListingSummary(TypedDict):
    """A listing as search results show it. Codes are the vocabulary's (imported data may carry others)."""
    id: int
    name: str
    kind: str
    organization: OrganizationRef
    session_format: str
    delivery: list[str]
    moderation: str | None
    online_mode: str | None
    membership: str | None
    audience: list[str]
    journey_stage: list[str]
    cancer_type: list[str]
    cost: str
    languages: list[str]
    license_type: str | None
    license_state: str | None
    accepting_clients: bool | None
    telehealth_states: list[str]
    service_area: list[str]
    remote_only: bool
    is_demo: bool
    distance_miles: float | None  # null for remote-only listings and searches without a ZIP
    location: LocationOut | None
    last_verified: IsoDate | None
    guidance: list[GuidanceNote]
    url: Url


class PhoneOut(TypedDict):
    number: str
    extension: str | None
    type: str
    description: str | None


class ScheduleOut(TypedDict):
    """When a listing meets, as iCalendar-like parts and in words."""
    freq: str
    interval: int
    byday: str
    opens_at: HourMinute | None
    closes_at: HourMinute | None
    timezone: str | None
    text: str


class ListingDetail(ListingSummary):
    """One published listing with everything its page shows."""
    description: str
    description_es: str | None
    website: str | None
    email: str | None
    how_to_join: str | None
    cost_details: str | None
    accessibility: str | None
    moderator_credentials: str | None
    privacy_policy_url: str | None
    records_sessions: bool | None
    anonymity_allowed: bool | None
    medical_advice_policy: str | None
    license_number: str | None
    locations: list[LocationOut]
    phones: list[PhoneOut]
    schedules: list[ScheduleOut]


class SearchResults(TypedDict):
    """One page of search results; `center` is null without a ZIP."""
    center: Center | None
    total: int
    # Always false: every total is an exact count. (Totals of crowded circles were estimated for a
    # while; the field stays so that clients reading it keep working.)
    total_is_estimate: bool
    page: int
    per_page: int
    pages: int
    results: list[ListingSummary]


def location_dict(location: Location | None) -> LocationOut | None:
    if location is None:
        return None
    return {
        "name": location.name, "address_1": location.address_1, "city": location.city,
        "state": location.state, "postal_code": location.postal_code,
        "latitude": location.latitude, "longitude": location.longitude,
    }


def center_dict(center: Centroid | None) -> Center | None:
    if center is None:
        return None
    return {"zip": center.zip, "lat": center.lat, "lon": center.lon, "city": center.city, "state": center.state}


def _summary_context() -> tuple[date, str, str | None]:
    """What a summary depends on beyond the listing: the day and the reader's language (its guidance),
    and the start of a listing's URL under this request's URL root (None outside a request)."""
    url_prefix = listing_url_prefix(external=True) if has_request_context() else None
    return date.today(), current_language(), url_prefix


def listing_summary(listing: Listing, distance: float | None = None, location: Location | None = None,
                    context: tuple | None = None) -> ListingSummary:
    """A listing (or a search's ResultCard) as search results give it: what the listing says, then how far
    and which place. A page of results passes `context` (_summary_context), read once for all its results.

    Built in one dict, its keys in the order the JSON gives them (sorted), for every result of every search."""
    day, language, url_prefix = context or _summary_context()
    organization = listing.organization
    return {
        "accepting_clients": listing.accepting_clients,
        "audience": listing.audience,
        "cancer_type": listing.cancer_type,
        "cost": listing.cost,
        "delivery": listing.delivery,
        "distance_miles": round(distance, 2) if distance is not None else None,
        "guidance": guidance.short_notes_data(listing, day, language),
        "id": listing.id,
        "is_demo": listing.is_demo,
        "journey_stage": listing.journey_stage,
        "kind": listing.kind,
        "languages": listing.languages,
        "last_verified": listing.last_verified.isoformat() if listing.last_verified else None,
        "license_state": listing.license_state,
        "license_type": listing.license_type,
        "location": location_dict(location),
        "membership": listing.membership,
        "moderation": listing.moderation,
        "name": listing.name,
        "online_mode": listing.online_mode,
        "organization": {"id": organization.id, "name": organization.name},
        "remote_only": listing.is_remote_only,
        "service_area": listing.service_area,
        "session_format": listing.session_format,
        "telehealth_states": listing.telehealth_states,
        "url": (f"{url_prefix}{listing.id}" if url_prefix
                else url_for("public.listing", listing_id=listing.id, _external=True)),
    }


def listing_detail(listing: Listing) -> ListingDetail:
    data = listing_summary(listing, location=listing.locations[0] if listing.locations else None)
    data.update({
        "description": listing.description,
        "description_es": listing.description_es,
        "website": listing.url,
        "email": listing.email,
        "how_to_join": listing.how_to_join,
        "cost_details": listing.cost_details,
        "accessibility": listing.accessibility,
        "moderator_credentials": listing.moderator_credentials,
        "privacy_policy_url": listing.privacy_policy_url,
        "records_sessions": listing.records_sessions,
        "anonymity_allowed": listing.anonymity_allowed,
        "medical_advice_policy": listing.medical_advice_policy,
        "license_number": listing.license_number,
        "locations": [location_dict(loc) for loc in listing.locations],
        "phones": [{"number": p.number, "extension": p.extension, "type": p.type, "description": p.description}
                   for p in listing.phones],
        "schedules": [{"freq": s.freq, "interval": s.interval, "byday": s.byday,
                       "opens_at": s.opens_at.strftime("%H:%M") if s.opens_at else None,
                       "closes_at": s.closes_at.strftime("%H:%M") if s.closes_at else None,
                       "timezone": s.timezone, "text": schedule_in_words(s)} for s in listing.schedules],
        "guidance": [{"code": n.code, "text": n.text} for n in guidance.notes_for(listing)],
    })
    return data


def search_results(page: SearchPage) -> SearchResults:
    context = _summary_context()
    return {
        "center": center_dict(page.center),
        "total": page.total,
        "total_is_estimate": page.total_is_estimate,
        "page": page.query.page,
        "per_page": page.query.per_page,
        "pages": page.pages,
        "results": [listing_summary(h.listing, h.distance_miles, h.location, context) for h in page.hits],
    }
