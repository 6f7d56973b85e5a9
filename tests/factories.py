"""Test data factories: real rows in the real database, with sensible defaults.

`listing(**overrides)` makes an approved, published listing unless told
otherwise; multi-valued fields take lists; `at=(lat, lon)` or `zip="60614"`
gives it a location, `service_area=[...]` makes it reachable remotely.
"""
from __future__ import annotations

import itertools
from datetime import date

from directory.extensions import db
from directory.geo import lookup_zip
from directory.models import Listing, Location, Organization, Phone, Schedule, ServiceAtLocation

_counter = itertools.count(1)
MULTI = {"delivery": "delivery", "audience": "audience", "journey_stage": "journey_stage",
         "cancer_type": "cancer_type", "languages": "language", "service_area": "service_area"}


def organization(**overrides) -> Organization:
    n = next(_counter)
    org = Organization(**{"name": f"Test Organization {n}", "website": "https://example.org", **overrides})
    db.session.add(org)
    db.session.flush()
    return org


def listing(*, at: tuple[float, float] | None = None, zip: str | None = None, locations=None,
            phones=(), schedules=(), commit: bool = True, **overrides) -> Listing:
    n = next(_counter)
    multi = {key: overrides.pop(key) for key in list(overrides) if key in MULTI}
    org = overrides.pop("organization", None) or organization()
    fields = {
        "name": f"Test Listing {n}", "description": "A listing made by a test.", "kind": "support_program",
        "session_format": "group", "moderation": "licensed_professional", "membership": "open", "cost": "free",
        "status": "approved", "service_status": "active", "last_verified": date(2026, 10, 1),
        **overrides,
    }
    item = Listing(organization=org, **fields)
    multi.setdefault("delivery", ["in_person"] if (at or zip or locations) else ["online"])
    multi.setdefault("languages", ["en"])
    multi.setdefault("cancer_type", ["any"])
    multi.setdefault("audience", ["patients"])
    for key, codes in multi.items():
        item.set_codes(MULTI[key], list(codes))
    points = list(locations or [])
    if at:
        points.append(at)
    if zip:
        centroid = lookup_zip(zip)
        points.append((centroid.lat, centroid.lon))
    for lat, lon in points:
        loc = Location(organization_id=org.id, name="", address_1="1 Test St", city="Testville", state="IL",
                       postal_code=zip or "60614", latitude=lat, longitude=lon)
        item.service_at_locations.append(ServiceAtLocation(location=loc))
    item.phones = [Phone(**p) for p in phones]
    item.schedules = [Schedule(**s) for s in schedules]
    db.session.add(item)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return item


DEFAULT_PASSWORD = "correct horse battery staple 42"


def user(role: str = "coordinator", *, email: str | None = None, password: str = DEFAULT_PASSWORD,
         organization=None, approved: bool = True, deactivated: bool = False):
    """An account with a real scrypt hash. Coordinators get an organization unless given one."""
    from directory.accounts.passwords import hash_password
    from directory.models import User

    n = next(_counter)
    if organization is None and role == "coordinator":
        organization = globals()["organization"]()
    account = User(email=email or f"{role}{n}@example.org", password_hash=hash_password(password), role=role,
                   organization=organization, is_approved=approved, is_deactivated=deactivated)
    db.session.add(account)
    db.session.commit()
    return account


def hsds_dataset() -> list[Listing]:
    """Published listings that between them fill every field the HSDS export writes: organization
    details, phones with extensions, weekly and monthly schedules with a zone, several languages,
    a counselor's license facts with telehealth states, remote-only and nationwide service areas,
    every listing fact (online safety, Spanish description, accessibility, a demo listing, yes and
    no), a foreign taxonomy term kept from an import, and text a spreadsheet would run as a formula."""
    from datetime import time

    from directory.seeding import seed_taxonomy

    seed_taxonomy()
    org = organization(name="Lakeside Cancer Network", description="Support around the lake.",
                       email="info@lakeside.example.org", website="https://lakeside.example.org")
    group = listing(
        organization=org, name="=Evening Circle", description="'Quoted' start, <b>markup</b> kept as text.",
        url="https://lakeside.example.org/circle", email="circle@lakeside.example.org", moderation="trained_peer",
        online_mode="video", membership="registration", cost="sliding_scale", cost_details="-5 dollars a session",
        how_to_join="@register online or call", delivery=["in_person", "online"],
        description_es="Un círculo de apoyo por la tarde, en persona y por video.",
        accessibility="- Step-free entrance\n- Captions on video meetings",
        moderator_credentials="Facilitators trained by the network; an oncology social worker supervises",
        privacy_policy_url="https://lakeside.example.org/privacy", records_sessions=False, anonymity_allowed=True,
        medical_advice_policy="=No medical advice: members are asked to bring medical questions to their care team.",
        audience=["patients", "caregivers"], journey_stage=["in_treatment", "survivorship"],
        cancer_type=["breast", "lung"], languages=["en", "es", "vi"], zip="60614",
        phones=[{"number": "+1 312-555-0100", "extension": "12", "description": "Front desk"},
                {"number": "312-555-0199", "type": "text"}],
        schedules=[{"freq": "WEEKLY", "byday": "TU,TH", "opens_at": time(18, 0), "closes_at": time(19, 30),
                    "timezone": "America/Chicago", "description": "Second floor"},
                   {"freq": "MONTHLY", "byday": "1SA", "interval": 1, "opens_at": time(10, 0),
                    "timezone": "America/New_York"}],
        other_terms=[{"id": "0f4b1d6e-3c1a-4d2e-9a57-6b1f2e3d4c5a", "link_type": "eligibility", "value": "adults",
                      "term": {"id": "6a7e0c1d-2b3f-4a5e-8d9c-0e1f2a3b4c5d", "code": "YZ-1", "name": "Adults",
                               "description": "People 18 and over", "taxonomy": "Open Eligibility",
                               "taxonomy_id": "9b8c7d6e-5f4a-4b3c-9d2e-1f0a9b8c7d6e"},
                      "taxonomy": {"id": "9b8c7d6e-5f4a-4b3c-9d2e-1f0a9b8c7d6e", "name": "Open Eligibility",
                                   "description": "Who a service is for", "version": "2"}}])
    counselor = listing(
        organization=org, name="Dr. Ana Ruiz, PsyD", kind="counseling", session_format="one_on_one", moderation=None,
        membership=None, cost="insurance", license_type="psychologist", license_number="PSY-12345",
        license_state="IL", accepting_clients=False, delivery=["online", "phone"], service_area=["IL", "WI"],
        languages=["en", "es"], audience=["patients", "family"], cancer_type=["any"], last_verified=None)
    helpline = listing(name="National Peer Line", delivery=["phone"], service_area=["US"], moderation="trained_peer",
                       phones=[{"number": "1-800-555-0123"}], service_status="active", is_demo=True,
                       records_sessions=True, anonymity_allowed=False)
    listing(name="Waiting for review", status="pending")  # not published: neither exported nor imported
    return [group, counselor, helpline]
