"""Search: validated parameters -> listings. The ONE place search logic lives.

Both /search (HTML) and /api/v1/search (JSON) call `parse_search_args` then
`run_search`. Values within one field combine with OR, fields with AND.

With a ZIP, results are (1) listings with a location within the radius,
nearest first — found by an indexed bounding-box prefilter and an exact
geodesic check — then (2) remote-only listings (online/phone, no location)
whose service area covers the ZIP's state or the whole country, by name.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import selectinload

from .extensions import db
from .geo import Centroid, GeoError, bounding_boxes, distance_miles, lookup_zip
from .models import Listing, ListingCode, Location, Organization, ServiceAtLocation
from .vocabulary import ALL_FIELDS, MULTI_FIELDS, NATIONWIDE, SINGLE_FIELDS

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


@dataclass(frozen=True)
class Hit:
    listing: Listing
    distance_miles: float | None  # None for remote-only listings and searches without a ZIP
    location: Location | None  # the nearest location, if any


@dataclass
class SearchPage:
    query: SearchQuery
    center: Centroid | None
    total: int
    hits: list[Hit]

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
    message = _("The distance must be a number of miles from %(low)s to %(high)s.", low=RADIUS_MIN, high=RADIUS_MAX)
    try:
        value = float(raw) if len(raw) <= 12 else math.nan
    except ValueError:
        raise SearchError("radius", message) from None
    if not math.isfinite(value) or not RADIUS_MIN <= value <= RADIUS_MAX:
        raise SearchError("radius", message)
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
        filters={name: codes for name in FILTER_FIELDS if (codes := _codes(args, name))},
        accepting_clients=_yes_no(args, "accepting_clients"),
        q=q,
        page=_bounded_int(args, "page", 1, 1, PAGE_MAX),
        per_page=_bounded_int(args, "per_page", PER_PAGE_DEFAULT, 1, PER_PAGE_MAX),
    )


# -- filtering ----------------------------------------------------------------

def published():
    """What the public may see: approved by a moderator and in service."""
    return and_(Listing.status == "approved", Listing.service_status == "active")


def _has_code(field_name: str, codes: Iterable[str]):
    return exists().where(
        ListingCode.listing_id == Listing.id, ListingCode.field == field_name, ListingCode.code.in_(list(codes))
    )


def _like_pattern(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def filter_clauses(query: SearchQuery) -> list:
    """SQL conditions for everything in the query except place."""
    clauses = [published()]
    for name, codes in query.filters.items():
        if name in SINGLE_FIELDS:
            clauses.append(getattr(Listing, name).in_(codes))
        elif name == "cancer_type":
            # A program for people with any cancer serves every cancer type.
            clauses.append(_has_code(name, {*codes, "any"}))
        else:
            clauses.append(_has_code(name, codes))
    if query.accepting_clients is not None:
        clauses.append(Listing.accepting_clients.is_(query.accepting_clients))
    for word in (query.q or "").split()[:8]:
        pattern = _like_pattern(word)
        org_match = exists().where(Organization.id == Listing.organization_id,
                                   func.lower(Organization.name).like(pattern, escape="\\"))
        clauses.append(or_(func.lower(Listing.name).like(pattern, escape="\\"),
                           func.lower(Listing.description).like(pattern, escape="\\"), org_match))
    return clauses


def _nearby(center: Centroid, radius: float, clauses: list) -> list[tuple[int, float, int]]:
    """(listing_id, miles, location_id) for listings within radius, nearest first."""
    boxes = or_(*(
        and_(Location.latitude.between(b.lat_min, b.lat_max), Location.longitude.between(b.lon_min, b.lon_max))
        for b in bounding_boxes(center.lat, center.lon, radius)
    ))
    stmt = (
        select(ServiceAtLocation.listing_id, Location.id, Location.latitude, Location.longitude)
        .join(Location, Location.id == ServiceAtLocation.location_id)
        .join(Listing, Listing.id == ServiceAtLocation.listing_id)
        .where(boxes, *clauses)
    )
    best: dict[int, tuple[float, int]] = {}
    for listing_id, location_id, lat, lon in db.session.execute(stmt):
        miles = distance_miles(center.lat, center.lon, lat, lon)
        if miles <= radius and (listing_id not in best or miles < best[listing_id][0]):
            best[listing_id] = (miles, location_id)
    return sorted(((lid, m, loc) for lid, (m, loc) in best.items()), key=lambda row: (row[1], row[0]))


def _remote_condition(center: Centroid):
    return and_(
        ~exists().where(ServiceAtLocation.listing_id == Listing.id),
        _has_code("service_area", (center.state, NATIONWIDE)),
    )


def _paged_ids(where: list, offset: int, limit: int) -> list[int]:
    if limit <= 0:
        return []
    stmt = select(Listing.id).where(*where).order_by(func.lower(Listing.name), Listing.id).offset(offset).limit(limit)
    return list(db.session.scalars(stmt))


def _count(where: list) -> int:
    return db.session.scalar(select(func.count()).select_from(Listing).where(*where))


def _with_details(stmt):
    """Eager-load everything a result or a listing page shows, in a few queries."""
    return stmt.options(
        selectinload(Listing.codes),
        selectinload(Listing.organization),
        selectinload(Listing.phones),
        selectinload(Listing.schedules),
        selectinload(Listing.service_at_locations).joinedload(ServiceAtLocation.location),
    )


def load_listings(ids: list[int]) -> dict[int, Listing]:
    if not ids:
        return {}
    return {listing.id: listing for listing in db.session.scalars(_with_details(select(Listing).where(Listing.id.in_(ids))))}


def get_published_listing(listing_id: int) -> Listing | None:
    """A listing the public may see, with its details; None if there is none."""
    if not 0 < listing_id <= MAX_ID:  # a larger id is no listing, and overflows the database's integer
        return None
    return db.session.scalar(_with_details(select(Listing).where(Listing.id == listing_id, published())))


def run_search(query: SearchQuery) -> SearchPage:
    clauses = filter_clauses(query)
    start = (query.page - 1) * query.per_page
    stop = start + query.per_page
    center = lookup_zip(query.zip) if query.zip else None

    if center is None:
        total = _count(clauses)
        page_rows = [(lid, None, None) for lid in _paged_ids(clauses, start, query.per_page)]
    else:
        near = _nearby(center, query.radius, clauses)
        remote_where = [*clauses, _remote_condition(center)]
        total = len(near) + _count(remote_where)
        page_rows = near[start:stop]
        remote_offset = max(0, start - len(near))
        page_rows += [(lid, None, None) for lid in
                      _paged_ids(remote_where, remote_offset, query.per_page - len(page_rows))]

    listings = load_listings([lid for lid, _, _ in page_rows])
    hits = []
    for listing_id, miles, location_id in page_rows:
        listing = listings[listing_id]
        location = next((loc for loc in listing.locations if loc.id == location_id), None)
        hits.append(Hit(listing, miles, location))
    return SearchPage(query=query, center=center, total=total, hits=hits)
