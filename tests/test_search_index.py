"""The fast search path (SearchEntry, chord bounds, ranking) returns exactly what a full scan returns.

The reference here is the plain definition: every published listing that
passes the filters (as SQL on Listing and ListingCode says), the geopy
geodesic to each of its locations, nearest first by (miles, id); then the
remote-only listings for the state or the country by lower(name), id.
Without a ZIP: every published listing that passes, by lower(name), id.
"""
from __future__ import annotations

import math
import random

import pytest
from geopy.distance import geodesic
from sqlalchemy import exists, func, select
from werkzeug.datastructures import MultiDict

from directory import search_index
from directory.extensions import db
from directory.geo import distance_miles, lookup_zip
from directory.models import Listing, ListingCode, Location, SearchEntry, ServiceAtLocation
from directory.search import filter_clauses, parse_search_args, run_search
from directory.vocabulary import ALL_FIELDS, NATIONWIDE


CHICAGO = lookup_zip("60614")


def reference_search(params: list[tuple[str, str]]) -> tuple[int, list[tuple[int, float | None]]]:
    """(total, [(listing id, miles)] of the page) by scanning every listing: slow and obviously right."""
    query = parse_search_args(MultiDict(params))
    clauses = filter_clauses(query)
    start = (query.page - 1) * query.per_page
    if query.zip is None:  # every listing that passes, by name
        rows = [(listing_id, None) for listing_id in db.session.scalars(
            select(Listing.id).where(*clauses).order_by(func.lower(Listing.name), Listing.id))]
        return len(rows), rows[start:start + query.per_page]
    center = lookup_zip(query.zip)
    best: dict[int, float] = {}
    for listing_id, lat, lon in db.session.execute(
            select(ServiceAtLocation.listing_id, Location.latitude, Location.longitude)
            .join(Location, Location.id == ServiceAtLocation.location_id)
            .join(Listing, Listing.id == ServiceAtLocation.listing_id).where(*clauses)):
        miles = distance_miles(center.lat, center.lon, lat, lon)  # geopy's, to 1e-9 miles (test_geo)
        if miles <= query.radius and miles < best.get(listing_id, math.inf):
            best[listing_id] = miles
    near = sorted(best.items(), key=lambda item: (item[1], item[0]))
    remote = db.session.scalars(select(Listing.id).where(
        *clauses, ~exists().where(ServiceAtLocation.listing_id == Listing.id),
        exists().where(ListingCode.listing_id == Listing.id, ListingCode.field == "service_area",
                       ListingCode.code.in_((center.state, NATIONWIDE)))
    ).order_by(func.lower(Listing.name), Listing.id))
    rows = near + [(listing_id, None) for listing_id in remote]
    return len(rows), rows[start:start + query.per_page]


def fast_search(params) -> tuple[int, list[tuple[int, float | None]]]:
    page = run_search(parse_search_args(MultiDict(params)))
    return page.total, [(hit.listing.id, hit.distance_miles) for hit in page.hits]


def _scatter(make, rng, origin, count: int) -> None:
    """`count` listings spread evenly over 40 miles around origin, free or with a fee (not committed)."""
    for _ in range(count):
        make.listing(at=_destination(origin, 40 * math.sqrt(rng.random()), rng.uniform(0, 360)), commit=False,
                     cost=rng.choice(["free", "fee"]))


def _destination(origin, miles, bearing):
    point = geodesic(miles=miles).destination(origin, bearing)
    return point.latitude, point.longitude


def _random_listing(make, rng: random.Random, origin, spread: float):
    """A listing near origin (one to three locations), or a remote-only one, with random codes."""
    codes = {
        "delivery": rng.sample(["in_person", "online", "phone"], rng.randint(1, 2)),
        "audience": rng.sample(list(ALL_FIELDS["audience"]), rng.randint(1, 2)),
        "journey_stage": rng.sample(list(ALL_FIELDS["journey_stage"]), 1),
        "cancer_type": ["any"] if rng.random() < 0.3 else rng.sample(["breast", "lung", "blood", "skin"], 1),
        "languages": ["en"] + (["es"] if rng.random() < 0.3 else []),
    }
    single = {"kind": rng.choice(["support_program", "counseling"]), "cost": rng.choice(list(ALL_FIELDS["cost"])),
              "session_format": rng.choice(["group", "one_on_one"]),
              "moderation": rng.choice([None, "trained_peer", "licensed_professional", "unmoderated"]),
              "status": rng.choice(["approved"] * 6 + ["pending", "archived"]),
              "accepting_clients": rng.choice([True, False, None]),
              "name": rng.choice(["Alder", "birch", "Cedar", "alder", "Élan", "Zed"]) + f" {rng.randint(1, 3)}"}
    if rng.random() < 0.2:
        area = rng.choice([["US"], ["IL"], ["IL", "US"], ["NY"], ["IL", "WI"]])
        return make.listing(service_area=area, commit=False, **codes, **single)
    points = []
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        if rng.random() < 0.15:  # several listings on one point: ties broken by id
            points.append(_destination(origin, 5.0, 90.0))
        else:
            points.append(_destination(origin, rng.uniform(0, spread), rng.uniform(0, 360)))
    return make.listing(locations=points, commit=False, **codes, **single)


FILTERS = [[], [("cost", "free")], [("delivery", "online"), ("delivery", "phone")], [("cancer_type", "breast")],
           [("kind", "counseling"), ("accepting_clients", "true")], [("moderation", "trained_peer")],
           [("language", "es"), ("audience", "caregivers"), ("session_format", "group")], [("q", "alder")],
           [("accepting_clients", "false")]]


@pytest.mark.parametrize("seed", range(3))
def test_fast_search_equals_a_full_scan(make, seed):
    rng = random.Random(seed)
    center = lookup_zip("60614")
    origin = (center.lat, center.lon)
    for _ in range(260):
        _random_listing(make, rng, origin, spread=60)
    db.session.commit()

    for radius in (5, 25, 50):
        for filters in FILTERS:
            for page, per_page in ((1, 20), (2, 7), (3, 20), (40, 3), (1, 100)):
                params = [("zip", "60614"), ("radius", str(radius)), ("page", str(page)),
                          ("per_page", str(per_page)), *filters]
                total, rows = fast_search(params)
                expected_total, expected_rows = reference_search(params)
                assert total == expected_total, params
                assert [lid for lid, _ in rows] == [lid for lid, _ in expected_rows], params
                assert [m for _, m in rows] == [m for _, m in expected_rows], params  # the very same floats


@pytest.mark.parametrize("seed", range(2))
def test_search_without_a_zip_equals_a_full_scan(make, seed):
    """Every listing, whether it has places, service areas or neither, through each kind of change."""
    rng = random.Random(100 + seed)
    origin = (CHICAGO.lat, CHICAGO.lon)
    listings = [_random_listing(make, rng, origin, spread=300) for _ in range(150)]
    listings += [make.listing(name=rng.choice(["Alder", "Zed", "élan"]), commit=False) for _ in range(10)]  # neither
    db.session.commit()

    def check():
        for filters in FILTERS + [[("q", "zz-none")], [("q", "a")]]:
            for page, per_page in ((1, 20), (2, 7), (4, 20), (60, 3), (1, 100)):
                params = [("page", str(page)), ("per_page", str(per_page)), *filters]
                assert fast_search(params) == reference_search(params), params

    check()
    for listing in rng.sample(listings, 12):  # renamed (a new rank), hidden, shown, given a place or an area
        listing.name = rng.choice(["aaa first", "Mid", "zzz last", "Élan 2"])
    rng.choice(listings).status = "pending"
    next(item for item in listings if item.status == "pending").status = "approved"
    rng.choice(listings).set_codes("service_area", ["US"])
    db.session.commit()
    check()


def test_a_dense_city_pages_identically_to_a_full_scan(make):
    """Many more listings than a page, so ranking works in a smaller circle and widens it."""
    rng = random.Random(11)
    center = lookup_zip("10001")
    origin = (center.lat, center.lon)
    _scatter(make, rng, origin, 400)
    for _ in range(40):  # a cluster far from the centre: uneven density
        make.listing(at=_destination(origin, rng.uniform(30, 31), 10), commit=False)
    db.session.commit()
    for params in ([("radius", "50")], [("radius", "50"), ("page", "9")], [("radius", "50"), ("page", "20")],
                   [("radius", "35"), ("page", "15"), ("per_page", "25")], [("radius", "50"), ("cost", "fee"),
                                                                            ("page", "5")]):
        params = [("zip", "10001"), *params]
        assert fast_search(params) == reference_search(params), params


# -- keeping the index in step ----------------------------------------------------------

def entries_of(listing_id: int) -> list[tuple]:
    return db.session.execute(select(SearchEntry.location_id, SearchEntry.area, SearchEntry.filter_bits_1,
                                     SearchEntry.filter_bits_2).where(SearchEntry.listing_id == listing_id)
                              .order_by(SearchEntry.id)).all()


def test_entries_follow_every_change_made_through_the_orm(make):
    item = make.listing(zip="60614", cost="free")
    assert [(e.location_id, e.area) for e in entries_of(item.id)] == [(item.locations[0].id, None),
                                                                       (None, search_index.ANY_PLACE)]
    assert search_hits(zip="60614") == [item.id]

    item.status = "pending"
    db.session.commit()
    assert entries_of(item.id) == []
    assert search_hits(zip="60614") == []

    item.status = "approved"
    item.cost = "fee"
    db.session.commit()
    assert search_hits(zip="60614", cost="fee") == [item.id]
    assert search_hits(zip="60614", cost="free") == []

    item.set_codes("language", ["en", "vi"])
    db.session.commit()
    assert search_hits(zip="60614", language="vi") == [item.id]

    far = lookup_zip("10001")
    item.service_at_locations[0].location.latitude = far.lat
    item.service_at_locations[0].location.longitude = far.lon
    db.session.commit()
    assert search_hits(zip="60614") == []
    assert search_hits(zip="10001") == [item.id]

    item.service_at_locations = []
    item.set_codes("service_area", ["IL", "US"])
    db.session.commit()
    # nationwide: found once near a ZIP, and once without one
    assert [(e.location_id, e.area) for e in entries_of(item.id)] == [(None, "US"), (None, search_index.ANY_PLACE)]
    assert search_hits(zip="60614") == [item.id]

    db.session.delete(item)
    db.session.commit()
    assert entries_of(item.id) == []


def test_rebuild_writes_what_the_orm_hook_wrote(make):
    for k in range(12):
        make.listing(zip=["60614", "10001", "96813"][k % 3], commit=False, cost=["free", "fee"][k % 2])
    make.listing(service_area=["IL", "WI"], commit=False)
    make.listing(status="pending", zip="60614", commit=False)
    db.session.commit()
    columns = [c for c in SearchEntry.__table__.columns if c.name != "id"]
    before = sorted(db.session.execute(select(*columns)).all(), key=repr)  # repr: rows hold None beside numbers
    assert len(before) == 27  # 12 local, 2 state entries, one for each of the 13 without a place; none pending
    search_index.rebuild(db.session.connection())
    assert sorted(db.session.execute(select(*columns)).all(), key=repr) == before


def search_hits(**params) -> list[int]:
    return [hit.listing.id for hit in run_search(parse_search_args(MultiDict(params))).hits]


def test_filter_bit_layout_is_pinned():
    """Stored entries depend on it: a change needs a migration that calls search_index.rebuild()."""
    layout = {name: (word, list(bits)) for name, (word, bits) in search_index.BIT_LAYOUT.items()}
    first_bits = {name: min(bits.values()).bit_length() - 1 for name, (word, bits) in search_index.BIT_LAYOUT.items()}
    assert layout == {
        "kind": (1, ["support_program", "counseling"]),
        "session_format": (1, ["one_on_one", "group"]),
        "moderation": (1, ["licensed_professional", "trained_peer", "unmoderated"]),
        "online_mode": (1, ["video", "chat", "forum"]),
        "membership": (1, ["open", "registration", "screened"]),
        "cost": (1, ["free", "sliding_scale", "insurance", "fee"]),
        "license_type": (1, ["clinical_social_worker", "licensed_counselor", "psychologist", "psychiatrist",
                             "psychiatric_nurse_practitioner"]),
        "accepting_clients": (1, ["true", "false"]),
        "delivery": (1, ["in_person", "online", "phone"]),
        "audience": (1, ["patients", "survivors", "caregivers", "family", "children_teens", "young_adults",
                         "bereaved"]),
        "journey_stage": (1, ["newly_diagnosed", "in_treatment", "advanced_metastatic", "survivorship",
                              "end_of_life", "bereavement"]),
        "cancer_type": (1, ["any", "blood", "brain", "breast", "colorectal", "gynecologic", "head_neck", "lung",
                            "pancreatic", "pediatric", "prostate", "sarcoma", "skin"]),
        "language": (2, ["en", "es", "zh", "vi", "tl", "ko", "ru", "ar", "ht", "fr", "pl", "pt", "hi", "yi"]),
    }
    assert first_bits["kind"] == 0 and first_bits["cancer_type"] == 40 and first_bits["language"] == 0


def test_a_crowded_circle_is_counted_exactly_on_every_page(make, client):
    """Totals are exact at any size (the places are counted in memory), and so is every page, deep
    ones and those where the remote listings begin included."""
    rng = random.Random(5)
    center = lookup_zip("10001")
    origin = (center.lat, center.lon)
    _scatter(make, rng, origin, 360)
    make.listing(service_area=["NY"], delivery=["online"], commit=False)
    db.session.commit()
    for params in ([], [("page", "3")], [("cost", "fee"), ("page", "2")], [("per_page", "100"), ("page", "4")],
                   [("page", "18")], [("page", "19")], [("cost", "fee"), ("radius", "8")]):
        params = [("zip", "10001"), *params] + ([] if ("radius", "8") in params else [("radius", "50")])
        page = run_search(parse_search_args(MultiDict(params)))
        expected_total, expected_rows = reference_search(params)
        assert [(h.listing.id, h.distance_miles) for h in page.hits] == expected_rows, params
        assert page.total == expected_total and not page.total_is_estimate, params

    answer = client.get("/api/v1/search", query_string={"zip": "10001", "radius": "50"}).json
    assert answer["total"] == reference_search([("zip", "10001"), ("radius", "50")])[0]
    assert answer["total_is_estimate"] is False
