"""Geography: ZIP parsing, the radius prefilter (property-tested) and the street geocoder.

The radius search promises that its fast path (a bounding-box prefilter, then
the exact geodesic check) finds exactly what a scan of every point would find.
These tests hold it to that, at the function level with Hypothesis and end to
end through run_search, in the places where a flat box goes wrong first:
Alaska (and the Aleutians across the antimeridian), Hawaii, Puerto Rico.
"""
from __future__ import annotations

import gzip
import json
import math
import random
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import zipcodes
from geopy.adapters import BaseSyncAdapter
from geopy.distance import geodesic
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from directory import geo, zip_table
from directory.extensions import db
from directory.geo import (
    MIN_RADIUS_OF_CURVATURE_MILES,
    GeoError,
    bounding_boxes,
    chord_bounds,
    distance_miles,
    distances_miles,
    earth_xyz,
    geocoder_from_config,
    lookup_zip,
    normalize_zip,
    place_address,
    surely_inside_box,
)
from directory.search import SearchQuery, run_search

# -- ZIP codes ----------------------------------------------------------------


@pytest.mark.parametrize("text", ["60614", " 60614 ", "60614-1234", "606141234", "\t60614\n"],
                         ids=["plain", "padded", "zip+4", "zip+4-no-dash", "tab-newline"])
def test_normalize_zip_accepts_five_digits_and_zip_plus_four(text):
    assert normalize_zip(text) == "60614"


@pytest.mark.parametrize("text", [
    "abcde", "6061", "606145", "60614-12", "", "   ", None, "<script>alert(1)</script>", "60614-", "60 614",
    "60614-12345", "٦٠٦١٤", "６０６１４", "' OR 1=1 --", "6" * 5000,
], ids=["letters", "4-digits", "6-digits", "partial-plus-four", "empty", "blank", "none", "markup",
        "trailing-dash", "inner-space", "long-plus-four", "arabic-indic-digits", "fullwidth-digits", "sql",
        "huge"])
def test_normalize_zip_refuses_anything_else(text):
    with pytest.raises(GeoError) as info:
        normalize_zip(text)
    assert info.value.code == "invalid_zip"
    assert "5-digit" in str(info.value)


def test_lookup_zip_places_a_known_zip():
    center = lookup_zip("60614-1234")
    assert (center.zip, center.city, center.state) == ("60614", "Chicago", "IL")
    assert center.lat == pytest.approx(41.92, abs=0.05)
    assert center.lon == pytest.approx(-87.65, abs=0.05)


@pytest.mark.parametrize("text", ["00000", "99999"])
def test_lookup_zip_refuses_unknown_zip(text):
    with pytest.raises(GeoError) as info:
        lookup_zip(text)
    assert info.value.code == "unknown_zip"
    assert text in str(info.value)


def _first_zip(predicate) -> str:
    return next(row["zip_code"] for row in zipcodes.list_all() if predicate(row))


def _at_origin(row) -> bool:
    return float(row["lat"]) == 0 and float(row["long"]) == 0


def test_lookup_zip_refuses_inactive_zip():
    inactive = _first_zip(lambda row: not row["active"] and not _at_origin(row))
    with pytest.raises(GeoError) as info:
        lookup_zip(inactive)
    assert info.value.code == "inactive_zip"
    assert inactive in str(info.value)


def test_lookup_zip_refuses_zip_without_a_centroid():
    unplaceable = _first_zip(lambda row: row["active"] and _at_origin(row))
    with pytest.raises(GeoError) as info:
        lookup_zip(unplaceable)
    assert info.value.code == "unplaceable_zip"
    assert unplaceable in str(info.value)


def test_refusal_codes_are_distinct():
    codes = set()
    for text in ("6061", "00000", _first_zip(lambda r: not r["active"] and not _at_origin(r)),
                 _first_zip(lambda r: r["active"] and _at_origin(r))):
        with pytest.raises(GeoError) as info:
            lookup_zip(text)
        codes.add(info.value.code)
    assert codes == {"invalid_zip", "unknown_zip", "inactive_zip", "unplaceable_zip"}


def test_the_committed_zip_table_is_what_the_pinned_zipcodes_package_gives(tmp_path):
    # Rebuilt as `python -m directory.zip_table` does; after a zipcodes upgrade, run that and commit the file.
    rebuilt = tmp_path / "zip_centroids.tsv.gz"
    assert zip_table.main([str(rebuilt)]) == 0
    committed = zip_table.PATH.read_bytes()
    assert gzip.decompress(committed) == gzip.decompress(rebuilt.read_bytes()), \
        "directory/data/zip_centroids.tsv.gz is stale: run python -m directory.zip_table"
    assert committed[4:8] == b"\0\0\0\0"  # gzip mtime 0: a rebuild gives the same bytes


def _package_entry(row: dict) -> geo.Centroid | str:
    """What geo made of a `zipcodes` row when it read the package (before the table file)."""
    lat, lon = float(row["lat"]), float(row["long"])
    if not row["active"]:
        return "inactive_zip"
    if lat == 0 and lon == 0:
        return "unplaceable_zip"
    return geo.Centroid(row["zip_code"], lat, lon, row["city"].title(), row["state"])


def test_every_zip_is_looked_up_as_the_zipcodes_package_places_it():
    rows = zipcodes.list_all()
    for row in rows:
        expected, found = _package_entry(row), geo._zip_entry(row["zip_code"])
        assert found == expected, row["zip_code"]
        if isinstance(expected, geo.Centroid):  # the same floats, bit for bit
            assert (found.lat.hex(), found.lon.hex()) == (expected.lat.hex(), expected.lon.hex())
    known = {row["zip_code"] for row in rows}
    for zip5 in ("00000", "00001", "99999", "10000"):
        assert zip5 not in known and geo._zip_entry(zip5) == "unknown_zip"
    assert geo.all_centroids() == [e for e in map(_package_entry, rows) if isinstance(e, geo.Centroid)]


def test_lookup_zip_never_touches_the_zipcodes_package(monkeypatch):
    # The package's compiled data costs ~40 MB a process and list_all() ~140 MB more; workers read the table file.
    inactive = _first_zip(lambda r: not r["active"] and not _at_origin(r))  # before the package is blocked
    unplaceable = _first_zip(lambda r: r["active"] and _at_origin(r))

    def refuse(*args, **kwargs):
        raise AssertionError("the zipcodes package was called on a lookup path")

    for module in (zipcodes, zipcodes._zipcodes):
        for name in ("matching", "list_all", "is_real", "similar_to", "filter_by"):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, refuse)
    geo._zip_lines.cache_clear()  # as in a fresh worker: the first lookup reads the file
    assert lookup_zip("60614-1234").city == "Chicago"
    assert place_address("", "", "", "96813") == (lookup_zip("96813").lat, lookup_zip("96813").lon)
    for text, code in [("00000", "unknown_zip"), (inactive, "inactive_zip"), (unplaceable, "unplaceable_zip")]:
        with pytest.raises(GeoError) as info:
            lookup_zip(text)
        assert info.value.code == code
    assert len(geo.all_centroids()) > 40_000


def test_a_fresh_process_looks_zips_up_without_importing_zipcodes():
    script = ("import sys; from directory import geo; c = geo.lookup_zip('10001'); "
              "assert (c.city, c.state) == ('New York', 'NY'), c; "
              "assert 'zipcodes' not in sys.modules, 'zipcodes imported'")
    run = subprocess.run([sys.executable, "-c", script], check=False, cwd=Path(__file__).resolve().parents[1],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr


# -- the radius prefilter: property ---------------------------------------------

ANCHORAGE = (61.2, -149.9)
ADAK = (51.88, -176.66)
ATTU = (52.93, 172.9)
HONOLULU = (21.31, -157.86)
HILO = (19.72, -155.08)
SAN_JUAN = (18.47, -66.1)
CHICAGO = (41.92, -87.65)
KEY_WEST = (24.55, -81.78)
UTQIAGVIK = (71.29, -156.79)  # Barrow: the northernmost ZIP

REGIONS = {  # (lat_min, lat_max, lon_min, lon_max)
    "lower48": (24.5, 49.4, -124.8, -66.9),
    "alaska": (51.2, 71.4, -179.9, -129.9),
    "aleutians_west": (51.2, 53.0, 172.4, 180.0),
    "hawaii": (18.9, 22.3, -160.3, -154.8),
    "puerto_rico": (17.9, 18.6, -67.3, -65.6),
}


@st.composite
def centres(draw):
    named = [ANCHORAGE, ADAK, ATTU, HONOLULU, HILO, SAN_JUAN, CHICAGO, KEY_WEST, UTQIAGVIK]
    if draw(st.booleans()):
        return draw(st.sampled_from(named))
    lat_min, lat_max, lon_min, lon_max = REGIONS[draw(st.sampled_from(sorted(REGIONS)))]
    return (draw(st.floats(lat_min, lat_max)), draw(st.floats(lon_min, lon_max)))


radii = st.floats(1, 500, allow_nan=False, allow_infinity=False)
bearings = st.floats(0, 360, allow_nan=False, exclude_max=True)


def _destination(centre, miles: float, bearing: float) -> tuple[float, float]:
    point = geodesic(miles=miles).destination(centre, bearing)
    return point.latitude, point.longitude


def _in_boxes(boxes, lat: float, lon: float) -> bool:
    return any(b.lat_min <= lat <= b.lat_max and b.lon_min <= lon <= b.lon_max for b in boxes)


def _edge_points(centre, radius: float, extra_bearings) -> list[tuple[float, float]]:
    """Points just inside and just outside the circle, all the way round it."""
    points = []
    for bearing in [*range(0, 360, 5), *extra_bearings]:
        for miles in (radius - 0.01, radius + 0.01):
            if miles > 0:
                points.append(_destination(centre, miles, bearing))
    return points


def _box_edge_points(boxes, eps: float = 1e-7) -> list[tuple[float, float]]:
    """Points on, just inside and just outside every edge and corner of the boxes."""
    points = []
    for b in boxes:
        mid_lat, mid_lon = (b.lat_min + b.lat_max) / 2, (b.lon_min + b.lon_max) / 2
        for lat in (b.lat_min - eps, b.lat_min, b.lat_min + eps, mid_lat, b.lat_max - eps, b.lat_max, b.lat_max + eps):
            for lon in (b.lon_min - eps, b.lon_min, b.lon_min + eps, mid_lon, b.lon_max - eps, b.lon_max,
                        b.lon_max + eps):
                if -90 <= lat <= 90 and -180 <= lon <= 180:
                    points.append((lat, lon))
    return points


def _fast_path(centre, radius, points) -> set:
    boxes = bounding_boxes(*centre, radius)
    return {p for p in points if _in_boxes(boxes, *p) and distance_miles(*centre, *p) <= radius}


def _brute_force(centre, radius, points) -> set:
    return {p for p in points if distance_miles(*centre, *p) <= radius}


@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    centre=centres(),
    radius=radii,
    scatter=st.lists(st.tuples(bearings, st.floats(0, 1.6)), min_size=0, max_size=40),
    edge_bearings=st.lists(bearings, max_size=10),
)
@example(centre=ANCHORAGE, radius=500.0, scatter=[], edge_bearings=[])
@example(centre=ANCHORAGE, radius=1.0, scatter=[(45.0, 0.999), (45.0, 1.001)], edge_bearings=[])
@example(centre=ADAK, radius=500.0, scatter=[(270.0, 0.99), (270.0, 1.01), (90.0, 0.5)], edge_bearings=[])
@example(centre=ADAK, radius=250.0, scatter=[(270.0, 0.999)], edge_bearings=[])
@example(centre=ATTU, radius=400.0, scatter=[(90.0, 0.999)], edge_bearings=[])
@example(centre=(51.9, 179.99), radius=1.0, scatter=[(90.0, 0.9)], edge_bearings=[])
@example(centre=(51.9, -179.99), radius=1.0, scatter=[(270.0, 0.9)], edge_bearings=[])
@example(centre=UTQIAGVIK, radius=500.0, scatter=[(0.0, 0.99), (0.0, 1.01)], edge_bearings=[])
@example(centre=HONOLULU, radius=250.0, scatter=[], edge_bearings=[])
@example(centre=HILO, radius=37.5, scatter=[], edge_bearings=[])
@example(centre=SAN_JUAN, radius=1.0, scatter=[], edge_bearings=[])
@example(centre=SAN_JUAN, radius=100.0, scatter=[], edge_bearings=[])
@example(centre=CHICAGO, radius=25.0, scatter=[(0.0, 1.0)], edge_bearings=[])
@example(centre=KEY_WEST, radius=500.0, scatter=[], edge_bearings=[])
def test_box_prefilter_then_exact_check_finds_exactly_the_points_in_the_circle(centre, radius, scatter,
                                                                               edge_bearings):
    boxes = bounding_boxes(*centre, radius)
    points = [_destination(centre, fraction * radius, bearing) for bearing, fraction in scatter]
    points += _edge_points(centre, radius, edge_bearings)
    points += _box_edge_points(boxes)
    points += [(centre[0], 180.0), (centre[0], -180.0), centre]

    assert _fast_path(centre, radius, points) == _brute_force(centre, radius, points)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(centre=centres(), radius=radii)
@example(centre=ADAK, radius=500.0)
@example(centre=(52.0, 179.9), radius=500.0)
@example(centre=UTQIAGVIK, radius=500.0)
def test_boxes_are_well_formed(centre, radius):
    boxes = bounding_boxes(*centre, radius)
    assert 1 <= len(boxes) <= 2
    for b in boxes:
        assert -90 <= b.lat_min <= centre[0] <= b.lat_max <= 90
        assert -180 <= b.lon_min <= b.lon_max <= 180
    assert _in_boxes(boxes, *centre)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(centre=centres(), others=st.lists(st.tuples(bearings, st.floats(0, 700, allow_nan=False)), max_size=30))
def test_distances_to_many_points_are_each_distance_to_the_bit(centre, others):
    """Search measures a page's places in one call (distances_miles): the same numbers as one by one."""
    points = [_destination(centre, miles, bearing) for bearing, miles in others]
    many = distances_miles(*centre, [p[0] for p in points], [p[1] for p in points])
    assert many.tolist() == [distance_miles(*centre, *p) for p in points]


@pytest.mark.filterwarnings("ignore:Latitude normalization:UserWarning")
def test_distances_off_the_usual_ranges_are_handled_as_one_by_one():
    """Out of range, distance_miles leaves it to geopy (which wraps a longitude, refuses a latitude)."""
    assert distances_miles(40.0, -87.0, [40.0, 41.0], [181.0, -87.0]).tolist() == [
        distance_miles(40.0, -87.0, 40.0, 181.0), distance_miles(40.0, -87.0, 41.0, -87.0)]
    for function in (distance_miles, lambda *a: distances_miles(*a[:2], [a[2]], [a[3]])):
        with pytest.raises(ValueError):
            function(40.0, -87.0, 91.0, 10.0)


@pytest.mark.parametrize("centre, radius", [(ADAK, 500), (ATTU, 400), ((51.9, 179.99), 5), ((51.9, -179.99), 5)],
                         ids=["adak", "attu", "east-of-180", "west-of-180"])
def test_circles_across_the_antimeridian_get_two_boxes(centre, radius):
    boxes = bounding_boxes(*centre, radius)
    assert len(boxes) == 2
    assert {b.lon_min for b in boxes} | {b.lon_max for b in boxes} >= {-180.0, 180.0}


@settings(max_examples=300, deadline=None, derandomize=True)
@given(centre=centres(), bearing=bearings, miles=st.floats(0, 700, allow_nan=False))
@example(centre=ADAK, bearing=270.0, miles=500.0)
@example(centre=UTQIAGVIK, bearing=0.0, miles=300.0)
@example(centre=CHICAGO, bearing=45.0, miles=0.0)
def test_distance_is_geopys_and_the_chord_bounds_it(centre, bearing, miles):
    """The fast path measures with the chord through the Earth; its bounds must hold the geodesic."""
    point = _destination(centre, miles, bearing)
    exact = distance_miles(*centre, *point)
    assert abs(exact - geodesic(centre, point).miles) <= 1e-9  # geopy's (geographiclib's) to a micro-inch
    low, high = chord_bounds(math.dist(earth_xyz(*centre), earth_xyz(*point)))
    assert low <= exact <= high
    # Tight enough to decide almost every comparison: about (s/R)²/24 of s (27 parts a million at 100 miles).
    assert high - low <= 1e-5 + exact * (exact / MIN_RADIUS_OF_CURVATURE_MILES) ** 2 / 20


@settings(max_examples=200, deadline=None, derandomize=True)
@given(centre=centres(), radius=radii, spots=st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), max_size=30))
@example(centre=CHICAGO, radius=100.0, spots=[(0.0, 0.0), (1.0, 1.0), (0.0, 1.0), (1.0, 0.0)])
def test_every_point_of_the_surely_inside_box_is_inside(centre, radius, spots):
    box = surely_inside_box(*centre, radius)
    if box is None:
        return
    corners = [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0), (0.5, 0.0), (0.5, 1.0), (0.0, 0.5), (1.0, 0.5)]
    for u, v in [*corners, *spots]:
        lat = box.lat_min + u * (box.lat_max - box.lat_min)
        lon = box.lon_min + v * (box.lon_max - box.lon_min)
        assert distance_miles(*centre, lat, lon) <= radius


# -- the radius prefilter: end to end --------------------------------------------

def _brute_force_ranking(center, radius, points_by_id) -> list[tuple[int, float]]:
    """What a scan of every listing says the search must return, nearest first."""
    ranked = []
    for listing_id, points in points_by_id.items():
        miles = min(distance_miles(center.lat, center.lon, *p) for p in points)
        if miles <= radius:
            ranked.append((listing_id, miles))
    return sorted(ranked, key=lambda row: (row[1], row[0]))


def _every_page(zip_code: str, radius: float) -> list[tuple[int, float]]:
    found, page = [], 1
    while True:
        result = run_search(SearchQuery(zip=zip_code, radius=radius, per_page=100, page=page))
        found += [(hit.listing.id, hit.distance_miles) for hit in result.hits]
        if page >= result.pages:
            assert len(found) == result.total
            return found
        page += 1


FAR_AWAY = [ANCHORAGE, ADAK, ATTU, HONOLULU, HILO, SAN_JUAN, CHICAGO, UTQIAGVIK, (64.84, -147.72), (18.2, -67.14)]


@pytest.mark.parametrize("zip_code, radius", [
    ("99501", 300.0), ("99501", 25.0), ("96813", 100.0), ("00901", 50.0), ("60614", 25.0), ("99546", 500.0),
], ids=["anchorage-300", "anchorage-25", "honolulu-100", "san-juan-50", "chicago-25", "adak-500-antimeridian"])
def test_run_search_matches_a_brute_force_scan(app, make, zip_code, radius):
    center = lookup_zip(zip_code)
    rng = random.Random(f"{zip_code}-{radius}")
    origin = (center.lat, center.lon)
    places: list[list[tuple[float, float]]] = []
    for _ in range(110):  # scattered over 1.5 radii
        places.append([_destination(origin, rng.uniform(0, 1.5 * radius), rng.uniform(0, 360))])
    for _ in range(12):  # hugging the circle, on both sides
        bearing = rng.uniform(0, 360)
        places.append([_destination(origin, radius - 0.01, bearing)])
        places.append([_destination(origin, radius + 0.01, bearing)])
    places += [[p] for p in FAR_AWAY]
    places.append([origin])
    # One listing at two places: the nearer one counts.
    places.append([_destination(origin, 1.4 * radius, 10), _destination(origin, 0.3 * radius, 200)])

    points_by_id = {}
    for points in places:
        listing = make.listing(locations=points, commit=False)
        points_by_id[listing.id] = points
    db.session.commit()

    expected = _brute_force_ranking(center, radius, points_by_id)
    found = _every_page(zip_code, radius)

    assert [listing_id for listing_id, _ in found] == [listing_id for listing_id, _ in expected]
    assert [miles for _, miles in found] == pytest.approx([miles for _, miles in expected], abs=1e-6)
    assert 12 <= len(expected) < len(places) - 12  # the edges were really tested from both sides


# -- the street geocoder ------------------------------------------------------------

NOMINATIM_HIT = [{
    "place_id": 1, "licence": "test", "osm_type": "way", "osm_id": 1,
    "lat": "41.9214", "lon": "-87.6513", "display_name": "2430 N Cannon Dr, Chicago, IL 60614, USA",
    "class": "building", "type": "yes", "importance": 0.5,
    "boundingbox": ["41.92", "41.93", "-87.66", "-87.65"],
}]


def canned_adapter(payload):
    """A geopy adapter that answers every request with `payload` and records the requests."""
    requests: list[dict] = []

    class CannedAdapter(BaseSyncAdapter):
        def __init__(self, *, proxies=None, ssl_context=None):
            super().__init__(proxies=proxies, ssl_context=ssl_context)

        def get_json(self, url, *, timeout, headers):
            requests.append({"url": url, "headers": dict(headers)})
            return json.loads(json.dumps(payload))

        def get_text(self, url, *, timeout, headers):
            requests.append({"url": url, "headers": dict(headers)})
            return json.dumps(payload)

    return CannedAdapter, requests


def test_nominatim_geocoder_places_a_street_address():
    adapter, requests = canned_adapter(NOMINATIM_HIT)
    geocode = geocoder_from_config("nominatim", "support-directory-tests/1.0", adapter_factory=adapter)

    assert place_address("2430 N Cannon Dr", "Chicago", "IL", "60614-1234", geocode=geocode) == (41.9214, -87.6513)

    assert len(requests) == 1
    assert requests[0]["headers"].get("User-Agent") == "support-directory-tests/1.0"
    sent = parse_qs(urlsplit(requests[0]["url"]).query)
    assert sent["street"] == ["2430 N Cannon Dr"]
    assert sent["city"] == ["Chicago"]
    assert sent["state"] == ["IL"]
    assert sent["postalcode"] == ["60614"]
    assert sent["country"] == ["us"]


def test_nominatim_geocoder_falls_back_to_the_zip_centroid_when_it_finds_nothing():
    adapter, requests = canned_adapter([])
    geocode = geocoder_from_config("nominatim", "support-directory-tests/1.0", adapter_factory=adapter)
    center = lookup_zip("60614")

    assert place_address("1 Nowhere Lane", "Chicago", "IL", "60614", geocode=geocode) == (center.lat, center.lon)
    assert len(requests) == 1


def test_place_address_without_a_geocoder_uses_the_zip_centroid():
    center = lookup_zip("96813")
    assert place_address("1 Test St", "Honolulu", "HI", "96813") == (center.lat, center.lon)


def test_place_address_refuses_a_bad_zip_before_asking_the_geocoder():
    adapter, requests = canned_adapter(NOMINATIM_HIT)
    geocode = geocoder_from_config("nominatim", "support-directory-tests/1.0", adapter_factory=adapter)
    with pytest.raises(GeoError):
        place_address("1 Test St", "Chicago", "IL", "00000", geocode=geocode)
    assert requests == []


@pytest.mark.parametrize("name", ["offline", ""])
def test_offline_geocoder_is_none(name):
    assert geocoder_from_config(name, "") is None


@pytest.mark.parametrize("name, user_agent", [("google", "agent"), ("Nominatim", "agent"), ("nominatim", "")],
                         ids=["unknown-name", "wrong-case", "missing-user-agent"])
def test_geocoder_config_mistakes_raise_value_error(name, user_agent):
    with pytest.raises(ValueError):
        geocoder_from_config(name, user_agent)
