"""Our models as HSDS 3.0 objects: the ONE place that maps them (the API and the exporter use it).

Every vocabulary code on a listing becomes an HSDS `attribute` linked to the taxonomy term of our
published vocabulary (seeding.seed_taxonomy). Facts HSDS has no field for (a counselor's licence,
a listing's online-safety facts, Spanish description, accessibility, demo mark) are attributes too:
`link_type` names the fact, `value` holds it ("true"/"false" for yes/no facts), and the term is our
`license_fact:*` or `listing_fact:*` term (hsds/profile.py says why each is not an HSDS field).
Optional HSDS fields we have no value for are left out, because the official schemas do not allow
nulls. A term an HSDS import brought from outside our vocabulary (Listing.other_terms) goes back
out as the attribute it came in as; importer.py is the reverse of this module.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale

from ..models import Listing, Location, Organization, Phone, Schedule, ServiceAtLocation, Taxonomy, TaxonomyTerm
from ..seeding import LICENSE_FACT_FIELD, LICENSE_FACT_TERMS, LISTING_FACT_FIELD, LISTING_FACT_TERMS
from ..vocabulary import MULTI_FIELDS, NATIONWIDE, SINGLE_FIELDS

# Ids of HSDS objects we derive rather than store (languages, service areas, attributes, addresses)
# are uuid5 of the owner's id, so they stay the same from one response (and export) to the next.
DERIVED_NAMESPACE = uuid.UUID("5d0f3b7e-2f4e-4f7a-9a1e-7c2b9e3d6a10")
# The link_types of fact attributes: a counselor's licence facts, and listing columns HSDS has no field for.
LICENSE_LINK_TYPES = tuple(LICENSE_FACT_TERMS)
LISTING_FACT_LINK_TYPES = tuple(LISTING_FACT_TERMS)

# The parts of a term (and its taxonomy) outside our vocabulary that a listing keeps from an import,
# in the order they are written back out.
OTHER_TERM_KEYS = ("id", "code", "name", "description", "taxonomy", "taxonomy_id", "language", "term_uri")
OTHER_TAXONOMY_KEYS = ("id", "name", "description", "uri", "version")
# How a schedule's notes name its IANA zone; the importer reads the zone back from this sentence.
ZONE_NOTE = "Times are in {zone}."

TermIndex = dict[tuple[str, str], TaxonomyTerm]


def derived_id(*parts: str) -> str:
    return str(uuid.uuid5(DERIVED_NAMESPACE, ":".join(parts)))


def by_id(items: list) -> list:
    """A listing's phones, schedules or locations in HSDS id order: the order the CSV tables have, so
    services.json comes out the same whether the data was imported from JSON or from CSV."""
    return sorted(items, key=lambda item: item.hsds_id)


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
        "notes": ZONE_NOTE.format(zone=schedule.timezone) if schedule.timezone else None,
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


def fact_value(value) -> str | None:
    """A fact as an attribute value: yes/no facts as "true"/"false", text as it is, nothing as None."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value or None


def _license_facts(listing: Listing) -> list[tuple[str, str | None]]:
    if listing.kind != "counseling":
        return []
    facts = [("license_number", listing.license_number), ("license_state", listing.license_state)]
    facts += [("telehealth_state", state) for state in listing.telehealth_states]
    facts.append(("accepting_clients", fact_value(listing.accepting_clients)))
    return facts


def _listing_facts(listing: Listing) -> list[tuple[str, str | None]]:
    # Only a demo listing says so: a "false" on every real listing would be noise, and the importer
    # reads a missing is_demo as false.
    return [(name, fact_value(getattr(listing, name))) for name in LISTING_FACT_LINK_TYPES
            if name != "is_demo" or listing.is_demo]


def _attribute(service_id: str, attribute_id: str, link_type: str, value: str, term: TaxonomyTerm | None) -> dict:
    attribute = {"id": attribute_id, "link_id": service_id, "link_entity": "service", "link_type": link_type,
                 "value": value}
    if term is not None:  # our term is missing only in a database seeded before it was added
        attribute["taxonomy_term_id"] = term.hsds_id
        attribute["taxonomy_term"] = taxonomy_term_to_hsds(term)
    return attribute


def attributes_to_hsds(listing: Listing, terms: TermIndex) -> list[dict]:
    service_id = listing.hsds_id
    attributes = [_attribute(service_id, derived_id(service_id, "attribute", field, code), field, code,
                             terms.get((field, code)))
                  for field, code in listing_code_pairs(listing)]
    # A licence fact's id includes its value: a counselor has several telehealth_state attributes.
    attributes += [_attribute(service_id, derived_id(service_id, "attribute", link_type, value), link_type, value,
                              terms.get((LICENSE_FACT_FIELD, link_type)))
                   for link_type, value in _license_facts(listing) if value]
    # A listing fact has one value, so its id stays the same when the value changes (a long text, too).
    attributes += [_attribute(service_id, derived_id(service_id, "attribute", LISTING_FACT_FIELD, link_type),
                              link_type, value, terms.get((LISTING_FACT_FIELD, link_type)))
                   for link_type, value in _listing_facts(listing) if value]
    attributes += [other_term_to_hsds(entry, service_id)
                   for entry in sorted(listing.other_terms or [], key=lambda entry: entry["id"])]
    return attributes


def other_term_to_hsds(entry: dict, service_id: str) -> dict:
    """An imported attribute whose term is not in our vocabulary, written back out as it came in."""
    attribute = _present({"id": entry["id"], "link_id": service_id, "link_entity": "service",
                          "link_type": entry.get("link_type"), "value": entry.get("value")})
    term, taxonomy = entry.get("term"), entry.get("taxonomy")
    if term:
        attribute["taxonomy_term_id"] = term["id"]
        attribute["taxonomy_term"] = {key: term[key] for key in OTHER_TERM_KEYS if key in term}
        if taxonomy:
            attribute["taxonomy_term"]["taxonomy_detail"] = {key: taxonomy[key] for key in OTHER_TAXONOMY_KEYS
                                                             if key in taxonomy}
    return attribute


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
        "phones": [phone_to_hsds(p, service_id) for p in by_id(listing.phones)],
        "schedules": [schedule_to_hsds(s, service_id) for s in by_id(listing.schedules)],
        "service_areas": [service_area_to_hsds(code, service_id) for code in listing.service_area],
        "languages": [language_to_hsds(code, service_id) for code in listing.languages],
        "service_at_locations": [service_at_location_to_hsds(sal, full=False, with_service=False)
                                 for sal in by_id(listing.service_at_locations)],
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
        data["phones"] = [phone_to_hsds(p, listing.hsds_id) for p in by_id(listing.phones)]
        data["schedules"] = [schedule_to_hsds(s, listing.hsds_id) for s in by_id(listing.schedules)]
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
