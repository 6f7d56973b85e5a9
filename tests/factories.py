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
