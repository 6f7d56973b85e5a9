"""`flask seed [--demo]`: idempotent, honest national programs, demo data that covers every code."""
from __future__ import annotations

import json
import re

from sqlalchemy import func, select

from directory.content import SEEDS_DIR
from directory.extensions import db
from directory.geo import lookup_zip
from directory.models import Listing, Location, Organization, Phone, Schedule, TaxonomyTerm
from directory.seeding import FACT_TERMS
from directory.vocabulary import ALL_FIELDS, LICENSE_TYPE, MODERATION

HELPLINE = "1-800-227-2345"
METROS = {"New York": "NY", "Los Angeles": "CA", "Chicago": "IL"}


def _counts() -> dict[str, int]:
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Organization, Listing, Location, Phone, Schedule, TaxonomyTerm)}


def test_seed_is_idempotent(runner):
    first = runner.invoke(args=["seed", "--demo"])
    assert first.exit_code == 0, first.output
    after_first = _counts()
    ids_first = sorted(db.session.scalars(select(Listing.hsds_id)))
    second = runner.invoke(args=["seed", "--demo"])
    assert second.exit_code == 0, second.output
    assert _counts() == after_first
    assert sorted(db.session.scalars(select(Listing.hsds_id))) == ids_first
    assert after_first["TaxonomyTerm"] == (sum(len(codes) for codes in ALL_FIELDS.values())
                                            + sum(len(terms) for terms in FACT_TERMS.values()))


def test_seed_if_empty_leaves_existing_data_alone_but_brings_the_taxonomy_up_to_date(runner, make):
    make.listing(zip="60614")  # a database from before the taxonomy had its current terms
    result = runner.invoke(args=["seed", "--demo", "--if-empty"])
    assert "not seeding" in result.output
    counts = _counts()
    assert counts["Listing"] == 1
    assert counts["TaxonomyTerm"] == (sum(len(codes) for codes in ALL_FIELDS.values())
                                      + sum(len(terms) for terms in FACT_TERMS.values()))


def test_national_programs_are_real_and_unverified():
    data = json.loads((SEEDS_DIR / "national_programs.json").read_text())
    assert len(data["listings"]) >= 12
    text = json.dumps(data)
    phone_like = set(re.findall(r"\d{3}[-.) ]+\d{3}[-. ]\d{4}", text))
    assert phone_like <= {"800-227-2345"}, "no invented phone numbers in national programs"
    for record in data["listings"]:
        assert record["last_verified"] is None
        assert not record["is_demo"]
        assert not record["name"].endswith("(demo)")
        assert record["service_area"] == ["US"] or record["delivery"] != ["in_person"]
        assert set(record["delivery"]) & {"online", "phone"}
        assert record["email"] is None
    for org in data["organizations"]:
        assert org["website"].startswith("https://")


def test_demo_listings_cover_every_code_in_the_largest_metros(runner):
    assert runner.invoke(args=["seed", "--demo"]).exit_code == 0
    demo = list(db.session.scalars(select(Listing).where(Listing.is_demo)))
    assert len(demo) >= 150
    assert all(item.name.endswith("(demo)") for item in demo)
    assert all(item.organization.is_demo for item in demo)
    assert all(item.status == "approved" for item in demo)
    for metro, state in METROS.items():
        local = [item for item in demo if item.locations and item.locations[0].state == state
                 or state in item.service_area]
        assert {i.session_format for i in local} == {"one_on_one", "group"}, metro
        assert {d for i in local for d in i.delivery} == {"in_person", "online", "phone"}, metro
        assert {i.moderation for i in local if i.moderation} == set(MODERATION), metro
        assert {i.license_type for i in local if i.license_type} == set(LICENSE_TYPE), metro
        assert any(i.moderation == "unmoderated" and i.online_mode == "forum" and "online" in i.delivery
                   for i in local), f"{metro} needs an unmoderated online forum"
    metros_with_locations = {loc.city for item in demo for loc in item.locations}
    assert len(metros_with_locations) >= 6


def test_demo_locations_sit_at_their_zip_centroid(runner):
    assert runner.invoke(args=["seed", "--demo"]).exit_code == 0
    for location in db.session.scalars(select(Location).limit(50)):
        centroid = lookup_zip(location.postal_code)
        assert (location.latitude, location.longitude) == (centroid.lat, centroid.lon)


def test_demo_listing_is_marked_demo_on_its_page(runner, client):
    assert runner.invoke(args=["seed", "--demo"]).exit_code == 0
    item = db.session.scalars(select(Listing).where(Listing.is_demo).limit(1)).one()
    page = client.get(f"/listings/{item.id}").get_data(as_text=True)
    assert "Demo listing." in page
    results = client.get("/search?zip=60614").get_data(as_text=True)
    assert "Demo listing" in results
    national = db.session.scalars(select(Listing).where(~Listing.is_demo).limit(1)).one()
    assert "Not yet verified" in client.get(f"/listings/{national.id}").get_data(as_text=True)
