"""Seed data from seeds/*.json into the database, idempotently.

Identifiers are derived from each record's stable `key` (uuid5), so running
the seed again updates the same rows instead of adding new ones, and the
HSDS ids of seeded records stay the same from one machine to the next.
"""
from __future__ import annotations

import uuid
from datetime import date, time, timedelta
from typing import Callable, Iterable

from sqlalchemy import delete, select

from .content import load_seed_json
from .extensions import db
from .geo import place_address
from .models import (Listing, ListingCode, Location, Organization, Phone, Schedule, ServiceAtLocation,
                     Taxonomy, TaxonomyTerm)
from .vocabulary import ALL_FIELDS, label

SEED_NAMESPACE = uuid.UUID("0b7d6c1e-6a43-4c55-9d0a-2f1c4f0e5a11")
TAXONOMY_NAME = "Support Directory vocabulary"
LISTING_FIELDS = (
    "name", "description", "description_es", "url", "email", "kind", "session_format", "moderation", "online_mode",
    "membership", "cost", "cost_details", "how_to_join", "accessibility", "moderator_credentials", "privacy_policy_url",
    "records_sessions", "anonymity_allowed", "medical_advice_policy", "license_type", "license_number",
    "license_state", "accepting_clients", "is_demo",
)
CODE_FIELDS = {"delivery": "delivery", "audience": "audience", "journey_stage": "journey_stage",
               "cancer_type": "cancer_type", "languages": "language", "service_area": "service_area"}


def seed_id(*parts: str) -> str:
    return str(uuid.uuid5(SEED_NAMESPACE, ":".join(parts)))


# Facts on a listing that are values, not codes, are still HSDS attributes (link_type = the fact's
# name, value = the fact); each kind of fact gets a term so every attribute links to our taxonomy
# (HSDS's tabular package requires attribute.taxonomy_term_id). The term's code is the link_type.
LICENSE_FACT_FIELD = "license_fact"
LICENSE_FACT_TERMS = {
    "license_number": "License number",
    "license_state": "State of license",
    "telehealth_state": "State where telehealth is offered",
    "accepting_clients": "Accepting new clients",
}
# Listing columns HSDS 3.0 has no service field for (see hsds/profile.py); the code is the column.
LISTING_FACT_FIELD = "listing_fact"
LISTING_FACT_TERMS = {
    "description_es": "Description in Spanish",
    "accessibility": "Accessibility",
    "moderator_credentials": "Leaders' training or credentials",
    "privacy_policy_url": "Privacy policy web address",
    "records_sessions": "Sessions are recorded",
    "anonymity_allowed": "People may take part without their real name",
    "medical_advice_policy": "Policy on medical advice",
    "is_demo": "Demo listing, not a real program",
}
FACT_TERMS = {LICENSE_FACT_FIELD: LICENSE_FACT_TERMS, LISTING_FACT_FIELD: LISTING_FACT_TERMS}


def seed_taxonomy() -> int:
    """Every vocabulary code, and every kind of fact, as a taxonomy term of our own taxonomy.

    Upserts (ids are uuid5 of FIELD:CODE), so running it again adds terms new since the last run.
    Returns the term count.
    """
    taxonomy = db.session.scalar(select(Taxonomy).where(Taxonomy.name == TAXONOMY_NAME))
    if taxonomy is None:
        taxonomy = Taxonomy(hsds_id=seed_id("taxonomy"), name=TAXONOMY_NAME, version="1",
                            description="The codes Support Directory uses to describe cancer support "
                                        "programs and counselors.")
        db.session.add(taxonomy)
        db.session.flush()
    existing = {(t.field, t.code): t for t in taxonomy.terms}
    names = {(field, code): label(field, code) for field, codes in ALL_FIELDS.items() for code in codes}
    names |= {(field, code): name for field, terms in FACT_TERMS.items() for code, name in terms.items()}
    for (field, code), name in names.items():
        term = existing.get((field, code))
        if term is None:
            term = TaxonomyTerm(hsds_id=seed_id("term", field, code), taxonomy=taxonomy, field=field, code=code)
            db.session.add(term)
        if term.name != name:  # an unchanged name is not rewritten (the export ensures terms on every run)
            term.name = name
    return len(names)


def _parse_time(text: str | None) -> time | None:
    return time.fromisoformat(text) if text else None


def _upsert_organization(record: dict) -> Organization:
    hsds_id = seed_id("organization", record["key"])
    org = db.session.scalar(select(Organization).where(Organization.hsds_id == hsds_id))
    if org is None:
        org = Organization(hsds_id=hsds_id)
        db.session.add(org)
    org.name = record["name"]
    org.website = record.get("website")
    org.description = record.get("description") or ""
    org.is_demo = bool(record.get("is_demo"))
    return org


def _clear_children(listing: Listing) -> None:
    """Remove a seeded listing's children so they can be written afresh."""
    location_ids = [sal.location_id for sal in listing.service_at_locations]
    for table, column in ((ListingCode, ListingCode.listing_id), (Phone, Phone.listing_id),
                          (Schedule, Schedule.listing_id), (ServiceAtLocation, ServiceAtLocation.listing_id)):
        db.session.execute(delete(table).where(column == listing.id))
    if location_ids:
        db.session.execute(delete(Location).where(Location.id.in_(location_ids)))
    db.session.expire(listing)


def _upsert_listing(record: dict, org: Organization, geocode, age_shift: timedelta = timedelta(0)) -> Listing:
    key = record["key"]
    hsds_id = seed_id("listing", key)
    listing = db.session.scalar(select(Listing).where(Listing.hsds_id == hsds_id))
    if listing is None:
        listing = Listing(hsds_id=hsds_id)
        db.session.add(listing)
    else:
        _clear_children(listing)
    for name in LISTING_FIELDS:
        setattr(listing, name, record.get(name))
    listing.is_demo = bool(record.get("is_demo"))
    listing.organization = org
    listing.status = "approved"
    listing.service_status = "active"
    listing.last_verified = (date.fromisoformat(record["last_verified"]) + age_shift
                             if record.get("last_verified") else None)
    listing.codes = [ListingCode(field=field, code=code)
                     for key_name, field in CODE_FIELDS.items()
                     for code in dict.fromkeys(record.get(key_name) or [])]
    listing.phones = [Phone(hsds_id=seed_id("phone", key, str(i)), number=p["number"], type=p.get("type") or "voice",
                            description=p.get("description")) for i, p in enumerate(record.get("phones") or [])]
    listing.schedules = [
        Schedule(hsds_id=seed_id("schedule", key, str(i)), freq=s["freq"], interval=s.get("interval") or 1,
                 byday=s.get("byday") or "", opens_at=_parse_time(s.get("opens_at")),
                 closes_at=_parse_time(s.get("closes_at")), timezone=s.get("timezone"),
                 description=s.get("description"))
        for i, s in enumerate(record.get("schedules") or [])
    ]
    sals = []
    for i, spec in enumerate(record.get("locations") or []):
        lat, lon = place_address(spec.get("address_1", ""), spec.get("city", ""), spec.get("state", ""),
                                 spec["postal_code"], geocode)
        location = Location(hsds_id=seed_id("location", key, str(i)), organization_id=org.id, name=spec.get("name", ""),
                            address_1=spec.get("address_1", ""), city=spec.get("city", ""),
                            state=spec.get("state", ""), postal_code=spec["postal_code"], latitude=lat, longitude=lon)
        sals.append(ServiceAtLocation(hsds_id=seed_id("service_at_location", key, str(i)), location=location))
    listing.service_at_locations = sals
    return listing


def seed_listings(filename: str, geocode=None, progress: Callable[[Iterable], Iterable] = lambda it: it) -> int:
    """Load one seeds/*.json file of organizations and listings. Returns the listing count."""
    data = load_seed_json(filename)
    # Dates in a file with a reference date move with the calendar, so a listing seeded today
    # is as fresh (or as stale) as when the file was made: see freshness.py.
    age_shift = date.today() - date.fromisoformat(data["reference_date"]) if "reference_date" in data else timedelta(0)
    orgs = {record["key"]: _upsert_organization(record) for record in data["organizations"]}
    db.session.flush()
    count = 0
    for record in progress(data["listings"]):
        _upsert_listing(record, orgs[record["organization"]], geocode, age_shift)
        count += 1
    return count
