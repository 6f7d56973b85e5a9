"""What the HSDS API reads: its parameters, validated, and the queries (published listings only).

Messages here are for developers calling the API, so they are plain English, not translated.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import Boolean, and_, cast, exists, false, func, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..geo import GeoError, bounding_boxes, distance_miles, lookup_zip
from ..models import Listing, ListingCode, Location, Organization, ServiceAtLocation, Taxonomy, TaxonomyTerm
from ..search import SearchQuery, filter_clauses
from ..seeding import FACT_TERMS, LICENSE_FACT_FIELD
from ..vocabulary import NATIONWIDE, SINGLE_FIELDS

PER_PAGE_DEFAULT = 50
PER_PAGE_MAX = 100
PAGE_MAX = 10_000
SEARCH_MAX_LENGTH = 200
ID_MAX_LENGTH = 100
METRES_PER_MILE = 1609.344
PROXIMITY_MAX_METRES = 500 * METRES_PER_MILE


class HsdsParamError(ValueError):
    def __init__(self, field: str, message: str, code: str = "invalid_parameter"):
        super().__init__(message)
        self.field, self.message, self.code = field, message, code


# -- parameters -------------------------------------------------------------------------------------

def one(args, name: str) -> str | None:
    values = args.getlist(name)
    if len(values) > 1:
        raise HsdsParamError(name, f"Give {name} only once.")
    value = values[0].strip() if values else ""
    if "\x00" in value:
        raise HsdsParamError(name, f"{name} contains a character we cannot search for.")
    return value or None


def text(args, name: str, max_length: int = ID_MAX_LENGTH) -> str | None:
    value = one(args, name)
    if value is not None and len(value) > max_length:
        raise HsdsParamError(name, f"{name} must be at most {max_length} characters.")
    return value


def whole_number(args, name: str, default: int, low: int, high: int) -> int:
    raw = one(args, name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9 or not low <= int(raw) <= high:
        raise HsdsParamError(name, f"{name} must be a whole number from {low} to {high}.")
    return int(raw)


def boolean(args, name: str) -> bool:
    raw = one(args, name)
    if raw is None:
        return False
    if raw.lower() in ("true", "1", "yes"):
        return True
    if raw.lower() in ("false", "0", "no"):
        return False
    raise HsdsParamError(name, f"{name} must be true or false.")


def output_format(args) -> str:
    value = (one(args, "format") or "json").lower()
    if value not in ("json", "ndjson"):
        raise HsdsParamError("format", "format must be json or ndjson.")
    return value


def modified_after(args) -> datetime | None:
    raw = one(args, "modified_after")
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00")) if len(raw) <= 40 else None
    except ValueError:
        moment = None
    if moment is None:
        raise HsdsParamError("modified_after", "modified_after must be an ISO 8601 date-time, like 2026-01-31T00:00:00Z.")
    if moment.tzinfo is not None:  # we store naive UTC
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


@dataclass(frozen=True)
class PageRequest:
    page: int = 1
    per_page: int = PER_PAGE_DEFAULT

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def page_request(args) -> PageRequest:
    return PageRequest(whole_number(args, "page", 1, 1, PAGE_MAX),
                       whole_number(args, "per_page", PER_PAGE_DEFAULT, 1, PER_PAGE_MAX))


@dataclass(frozen=True)
class ServiceFilter:
    search: str | None = None
    taxonomy_term_id: str | None = None
    taxonomy_id: str | None = None
    organization_id: str | None = None
    modified_after: datetime | None = None


def service_filter(args) -> ServiceFilter:
    return ServiceFilter(
        search=text(args, "search", SEARCH_MAX_LENGTH), taxonomy_term_id=text(args, "taxonomy_term_id"),
        taxonomy_id=text(args, "taxonomy_id"), organization_id=text(args, "organization_id"),
        modified_after=modified_after(args),
    )


@dataclass(frozen=True)
class Nearby:
    postcode: str
    lat: float
    lon: float
    metres: float | None


def nearby(args) -> Nearby | None:
    postcode, proximity = one(args, "postcode"), one(args, "proximity")
    if postcode is None:
        if proximity is not None:
            raise HsdsParamError("proximity", "proximity needs a postcode to measure from.")
        return None
    try:
        centroid = lookup_zip(postcode)
    except GeoError as exc:
        raise HsdsParamError("postcode", "postcode must be a 5-digit US ZIP code in use.", exc.code) from None
    metres = None
    if proximity is not None:
        try:
            metres = float(proximity) if len(proximity) <= 20 else math.nan
        except ValueError:
            metres = math.nan
        if not math.isfinite(metres) or not 0 < metres <= PROXIMITY_MAX_METRES:
            raise HsdsParamError("proximity", f"proximity must be a number of metres above 0 and at most "
                                              f"{PROXIMITY_MAX_METRES:.0f}.")
    return Nearby(centroid.zip, centroid.lat, centroid.lon, metres)


# -- queries ----------------------------------------------------------------------------------------

def term_index() -> dict[tuple[str, str], TaxonomyTerm]:
    terms = db.session.scalars(select(TaxonomyTerm).options(joinedload(TaxonomyTerm.taxonomy)))
    return {(t.field, t.code): t for t in terms}


def _has_term(term: TaxonomyTerm):
    if term.field in FACT_TERMS:
        return _states_fact(term)
    if term.field in SINGLE_FIELDS:
        return getattr(Listing, term.field) == term.code
    return exists().where(ListingCode.listing_id == Listing.id, ListingCode.field == term.field,
                          ListingCode.code == term.code)


def _states_fact(term: TaxonomyTerm):
    """Listings whose export carries this fact's attribute (mapping.attributes_to_hsds)."""
    if term.field == LICENSE_FACT_FIELD and term.code == "telehealth_state":
        return and_(Listing.kind == "counseling", exists().where(
            ListingCode.listing_id == Listing.id, ListingCode.field == "service_area", ListingCode.code != NATIONWIDE))
    column = getattr(Listing, term.code)
    if term.code == "is_demo":
        stated = column.is_(True)
    elif isinstance(column.type, Boolean):
        stated = column.is_not(None)
    else:
        stated = and_(column.is_not(None), column != "")
    return and_(Listing.kind == "counseling", stated) if term.field == LICENSE_FACT_FIELD else stated


def _has_other_term(key: str, hsds_id: str):
    """Listings that kept a foreign term (key "term") or a term of a foreign taxonomy (key "taxonomy")
    with this id in Listing.other_terms, a JSON list of {"term": {"id", ...}, "taxonomy": {"id", ...}}.

    JSON is read differently by each database: PostgreSQL tests containment (jsonb @>; a JSON null or
    SQL NULL contains nothing), SQLite walks the list with json_each. Both are full scans of the
    listings that pass the other conditions: fine for an occasional filter by a kept term.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(Listing.other_terms, JSONB).contains([{key: {"id": hsds_id}}])
    kept = func.json_each(Listing.other_terms).table_valued("value").alias("kept")
    return exists(select(1).select_from(kept).where(func.json_extract(kept.c.value, f"$.{key}.id") == hsds_id))


def service_clauses(wanted: ServiceFilter) -> list:
    """SQL conditions on Listing: published, and every given parameter (AND)."""
    clauses = filter_clauses(SearchQuery(q=wanted.search))
    if wanted.taxonomy_term_id is not None:
        term = db.session.scalar(select(TaxonomyTerm).where(TaxonomyTerm.hsds_id == wanted.taxonomy_term_id))
        clauses.append(_has_term(term) if term is not None else _has_other_term("term", wanted.taxonomy_term_id))
    if wanted.taxonomy_id is not None:
        terms = db.session.scalars(select(TaxonomyTerm).join(Taxonomy)
                                   .where(Taxonomy.hsds_id == wanted.taxonomy_id)).all()
        clauses.append(or_(*(_has_term(t) for t in terms)) if terms
                       else _has_other_term("taxonomy", wanted.taxonomy_id))
    if wanted.organization_id is not None:
        clauses.append(Listing.organization_id.in_(
            select(Organization.id).where(Organization.hsds_id == wanted.organization_id)))
    if wanted.modified_after is not None:
        clauses.append(Listing.updated_at >= wanted.modified_after)
    return clauses


def _with_details(stmt):
    return stmt.options(
        selectinload(Listing.codes), joinedload(Listing.organization), selectinload(Listing.phones),
        selectinload(Listing.schedules),
        selectinload(Listing.service_at_locations).joinedload(ServiceAtLocation.location),
    )


def count_listings(where: list) -> int:
    return db.session.scalar(select(func.count()).select_from(Listing).where(*where))


def listings_page(where: list, offset: int, limit: int | None) -> list[Listing]:
    ids = select(Listing.id).where(*where).order_by(Listing.name, Listing.id).offset(offset).limit(limit)
    stmt = _with_details(select(Listing).where(Listing.id.in_(ids)).order_by(Listing.name, Listing.id))
    return list(db.session.scalars(stmt).unique())


def published_listing(hsds_id: str) -> Listing | None:
    return db.session.scalar(_with_details(select(Listing).where(Listing.hsds_id == hsds_id[:ID_MAX_LENGTH],
                                                                 *filter_clauses(SearchQuery()))))


def _published_exists():
    return exists().where(Listing.organization_id == Organization.id, *filter_clauses(SearchQuery()))


def organization_clauses(search: str | None) -> list:
    clauses = [_published_exists()]
    for word in (search or "").split()[:8]:
        escaped = word.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        clauses.append(func.lower(Organization.name).like(f"%{escaped}%", escape="\\"))
    return clauses


def organizations_page(where: list, offset: int, limit: int | None) -> tuple[int, list[Organization]]:
    total = db.session.scalar(select(func.count()).select_from(Organization).where(*where))
    orgs = db.session.scalars(select(Organization).where(*where).order_by(Organization.name, Organization.id)
                              .offset(offset).limit(limit)).all()
    return total, list(orgs)


def published_organization(hsds_id: str) -> Organization | None:
    return db.session.scalar(select(Organization).where(Organization.hsds_id == hsds_id[:ID_MAX_LENGTH],
                                                        _published_exists()))


def services_of(org: Organization) -> list[Listing]:
    return listings_page([Listing.organization_id == org.id, *filter_clauses(SearchQuery())], 0, None)


def service_at_locations(wanted: ServiceFilter, near: Nearby | None) -> list[ServiceAtLocation]:
    """Every matching service_at_location, nearest first when near a postcode with a proximity."""
    where = [ServiceAtLocation.listing_id.in_(select(Listing.id).where(*service_clauses(wanted)))]
    if near is not None and near.metres is None:
        where.append(Location.postal_code == near.postcode)
    elif near is not None:
        boxes = bounding_boxes(near.lat, near.lon, near.metres / METRES_PER_MILE)
        where.append(or_(*(and_(Location.latitude.between(b.lat_min, b.lat_max),
                                Location.longitude.between(b.lon_min, b.lon_max)) for b in boxes)))
    stmt = (select(ServiceAtLocation).join(ServiceAtLocation.location).where(*where)
            .options(joinedload(ServiceAtLocation.location),
                     joinedload(ServiceAtLocation.listing).joinedload(Listing.organization))
            .order_by(ServiceAtLocation.hsds_id))
    found = list(db.session.scalars(stmt).unique())
    if near is None or near.metres is None:
        return found
    miles = near.metres / METRES_PER_MILE
    measured = [(distance_miles(near.lat, near.lon, sal.location.latitude, sal.location.longitude), sal)
                for sal in found]
    return [sal for distance, sal in sorted(measured, key=lambda pair: pair[0]) if distance <= miles]


def published_service_at_location(hsds_id: str) -> ServiceAtLocation | None:
    return db.session.scalar(
        select(ServiceAtLocation).where(ServiceAtLocation.hsds_id == hsds_id[:ID_MAX_LENGTH],
                                        ServiceAtLocation.listing_id.in_(
                                            select(Listing.id).where(*filter_clauses(SearchQuery())))))


def taxonomies(search: str | None) -> list[Taxonomy]:
    stmt = select(Taxonomy).order_by(Taxonomy.name)
    if search:
        stmt = stmt.where(func.lower(Taxonomy.name).contains(search.lower(), autoescape=True))
    return list(db.session.scalars(stmt))


def taxonomy_terms(search: str | None, taxonomy_id: str | None, parent_id: str | None) -> list[TaxonomyTerm]:
    stmt = select(TaxonomyTerm).join(TaxonomyTerm.taxonomy).options(joinedload(TaxonomyTerm.taxonomy)) \
        .order_by(TaxonomyTerm.field, TaxonomyTerm.code)
    if search:
        pattern = search.lower()
        stmt = stmt.where(or_(func.lower(TaxonomyTerm.name).contains(pattern, autoescape=True),
                              func.lower(TaxonomyTerm.field + ":" + TaxonomyTerm.code).contains(pattern, autoescape=True)))
    if taxonomy_id is not None:
        stmt = stmt.where(Taxonomy.hsds_id == taxonomy_id)
    if parent_id is not None:  # our vocabulary is flat: no term has a parent
        stmt = stmt.where(false())
    return list(db.session.scalars(stmt))


def taxonomy_term(hsds_id: str) -> TaxonomyTerm | None:
    return db.session.scalar(select(TaxonomyTerm).where(TaxonomyTerm.hsds_id == hsds_id[:ID_MAX_LENGTH])
                             .options(joinedload(TaxonomyTerm.taxonomy)))
