"""Our models as HSDS 3.0 objects: the ONE place that maps them (the API and the exporter use it).

Every vocabulary code on a listing becomes an HSDS `attribute` linked to the taxonomy term of our
published vocabulary (seeding.seed_taxonomy); counselor licence facts, which HSDS has no object
for, are attributes too, with `link_type` naming the fact. Optional HSDS fields we have no value
for are left out, because the official schemas do not allow nulls.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale

from ..models import Listing, Location, Organization, Phone, Schedule, ServiceAtLocation, Taxonomy, TaxonomyTerm
from ..vocabulary import MULTI_FIELDS, NATIONWIDE, SINGLE_FIELDS

# Ids of HSDS objects we derive rather than store (languages, service areas, attributes, addresses)
# are uuid5 of the owner's id, so they stay the same from one response (and export) to the next.
DERIVED_NAMESPACE = uuid.UUID("5d0f3b7e-2f4e-4f7a-9a1e-7c2b9e3d6a10")
# Licence facts of a counselor, published as attributes without a taxonomy term.
LICENSE_LINK_TYPES = ("license_number", "license_state", "telehealth_state", "accepting_clients")

TermIndex = dict[tuple[str, str], TaxonomyTerm]


def derived_id(*parts: str) -> str:
    return str(uuid.uuid5(DERIVED_NAMESPACE, ":".join(parts)))


def _present(data: dict) -> dict:
    """Drop keys whose value is None or an empty string (HSDS optional fields do not take null)."""
    return {key: value for key, value in data.items() if value is not None and value != ""}


def rfc3339(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.replace(microsecond=0).isoformat() + "Z"


def utc_offset_hours(zone_name: str | None, at: datetime | None = None) -> float | None:
    """HSDS schedule.timezone is a number: the zone's UTC offset in hours, now (DST included)."""
    if not zone_name:
        return None
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    offset = (at or datetime.now(timezone.utc)).astimezone(zone).utcoffset()
    hours = offset.total_seconds() / 3600 if offset is not None else 0.0
    return int(hours) if hours.is_integer() else hours


def language_name(code: str) -> str:
    return Locale("en").languages.get(code, code)


# -- taxonomy ---------------------------------------------------------------------------------------

def taxonomy_to_hsds(taxonomy: Taxonomy) -> dict:
    return _present({
        "id": taxonomy.hsds_id, "name": taxonomy.name, "description": taxonomy.description or "",
        "uri": taxonomy.uri, "version": taxonomy.version,
    }) | {"description": taxonomy.description or ""}


def taxonomy_term_to_hsds(term: TaxonomyTerm) -> dict:
    return _present({
        "id": term.hsds_id, "code": f"{term.field}:{term.code}", "name": term.name,
        "taxonomy": term.taxonomy.name, "taxonomy_id": term.taxonomy.hsds_id, "language": "en",
    }) | {"description": term.description or term.name}  # HSDS requires one


# -- service and its parts ---------------------------------------------------------------------------

def phone_to_hsds(phone: Phone, service_id: str) -> dict:
    extension = phone.extension if phone.extension and phone.extension.isdigit() else None
    return _present({
        "id": phone.hsds_id, "service_id": service_id, "number": phone.number,
        "extension": int(extension) if extension else None, "type": phone.type, "description": phone.description,
    })


def schedule_to_hsds(schedule: Schedule, service_id: str) -> dict:
    return _present({
        "id": schedule.hsds_id, "service_id": service_id, "freq": schedule.freq, "interval": schedule.interval,
        "byday": schedule.byday, "opens_at": schedule.opens_at.strftime("%H:%M") if schedule.opens_at else None,
        "closes_at": schedule.closes_at.strftime("%H:%M") if schedule.closes_at else None,
        "timezone": utc_offset_hours(schedule.timezone), "description": schedule.description,
        # The zone's name keeps what a bare offset loses (daylight saving time).
        "notes": f"Times are in {schedule.timezone}." if schedule.timezone else None,
    })


def service_area_to_hsds(code: str, service_id: str) -> dict:
    return {
        "id": derived_id(service_id, "service_area", code), "service_id": service_id, "name": code,
        "description": "Nationwide (United States)" if code == NATIONWIDE else f"The US state {code}",
    }


def language_to_hsds(code: str, service_id: str) -> dict:
    return {"id": derived_id(service_id, "language", code), "service_id": service_id, "code": code,
            "name": language_name(code)}


def listing_code_pairs(listing: Listing) -> list[tuple[str, str]]:
    """Every vocabulary (field, code) on a listing, single-valued fields first."""
    pairs = [(field, getattr(listing, field)) for field in SINGLE_FIELDS if getattr(listing, field)]
    pairs += [(field, code) for field in MULTI_FIELDS for code in listing.codes_for(field)]
    return pairs


def _license_facts(listing: Listing) -> list[tuple[str, str]]:
    if listing.kind != "counseling":
        return []
    facts = [("license_number", listing.license_number), ("license_state", listing.license_state)]
    facts += [("telehealth_state", state) for state in listing.telehealth_states]
    if listing.accepting_clients is not None:
        facts.append(("accepting_clients", "true" if listing.accepting_clients else "false"))
    return [(kind, value) for kind, value in facts if value]


def attributes_to_hsds(listing: Listing, terms: TermIndex) -> list[dict]:
    service_id = listing.hsds_id
    attributes = []
    for field, code in listing_code_pairs(listing):
        attribute = {"id": derived_id(service_id, "attribute", field, code), "link_id": service_id,
                     "link_entity": "service", "link_type": field, "value": code}
        term = terms.get((field, code))
        if term is not None:
            attribute["taxonomy_term_id"] = term.hsds_id
            attribute["taxonomy_term"] = taxonomy_term_to_hsds(term)
        attributes.append(attribute)
    for link_type, value in _license_facts(listing):
        attribute = {"id": derived_id(service_id, "attribute", link_type, value), "link_id": service_id,
                     "link_entity": "service", "link_type": link_type, "value": value}
        term = terms.get(("license_fact", link_type))
        if term is not None:
            attribute["taxonomy_term_id"] = term.hsds_id
            attribute["taxonomy_term"] = taxonomy_term_to_hsds(term)
        attributes.append(attribute)
    return attributes


def location_to_hsds(location: Location, organization_id: str | None = None) -> dict:
    address = {
        "id": derived_id(location.hsds_id, "address"), "location_id": location.hsds_id,
        "address_1": location.address_1 or "", "city": location.city or "", "state_province": location.state or "",
        "postal_code": location.postal_code or "", "country": "US", "address_type": "physical",
    }
    return _present({
        "id": location.hsds_id, "location_type": "physical", "organization_id": organization_id,
        "name": location.name, "latitude": location.latitude, "longitude": location.longitude,
    }) | {"addresses": [address]}


def organization_summary(org: Organization) -> dict:
    return _present({"id": org.hsds_id, "name": org.name, "email": org.email, "website": org.website}) | {
        "description": org.description or org.name}  # HSDS requires one


def service_to_hsds(listing: Listing, terms: TermIndex | None = None, full: bool = True) -> dict:
    """A listing as an HSDS service: one-to-one fields, or (full) everything nested."""
    org = listing.organization
    service = _present({
        "id": listing.hsds_id, "organization_id": org.hsds_id, "name": listing.name,
        "description": listing.description, "url": listing.url, "email": listing.email,
        "status": listing.service_status or "active", "application_process": listing.how_to_join,
        "fees_description": listing.cost_details,
        "assured_date": listing.last_verified.isoformat() if listing.last_verified else None,
        "last_modified": rfc3339(listing.updated_at),
    })
    service["organization"] = organization_summary(org)
    if not full:
        return service
    service_id = listing.hsds_id
    service |= {
        "phones": [phone_to_hsds(p, service_id) for p in listing.phones],
        "schedules": [schedule_to_hsds(s, service_id) for s in listing.schedules],
        "service_areas": [service_area_to_hsds(code, service_id) for code in listing.service_area],
        "languages": [language_to_hsds(code, service_id) for code in listing.languages],
        "service_at_locations": [service_at_location_to_hsds(sal, full=False, with_service=False)
                                 for sal in listing.service_at_locations],
        "attributes": attributes_to_hsds(listing, terms or {}),
    }
    return service


def service_at_location_to_hsds(sal: ServiceAtLocation, terms: TermIndex | None = None, full: bool = False,
                                with_service: bool = True) -> dict:
    listing = sal.listing
    data = {
        "id": sal.hsds_id, "service_id": listing.hsds_id, "location_id": sal.location.hsds_id,
        "location": location_to_hsds(sal.location, listing.organization.hsds_id),
    }
    if with_service:
        data["service"] = service_to_hsds(listing, terms, full=full)
    if full:
        data["phones"] = [phone_to_hsds(p, listing.hsds_id) for p in listing.phones]
        data["schedules"] = [schedule_to_hsds(s, listing.hsds_id) for s in listing.schedules]
    return data


def organization_to_hsds(org: Organization, services: list[Listing], terms: TermIndex | None = None,
                         full: bool = True, full_service: bool = False) -> dict:
    """An organization; full adds its (published) services and their locations."""
    data = organization_summary(org)
    if not full:
        return data
    locations = {sal.location.hsds_id: sal.location for listing in services for sal in listing.service_at_locations}
    data["services"] = [service_to_hsds(listing, terms, full=full_service) for listing in services]
    data["locations"] = [location_to_hsds(loc, org.hsds_id) for loc in locations.values()]
    return data
