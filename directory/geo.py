"""Geography: ZIP -> centroid (offline data), bounding boxes and distances.

ZIP centroids come from directory/data/zip_centroids.tsv.gz, a table derived
from the pinned `zipcodes` package (see zip_table.py, which also rebuilds it).
A process reads it once, on its first lookup (about 15 ms and 6 MB: one line
of text per ZIP, split when that ZIP is asked for, about 1 µs), and never
imports `zipcodes`, whose compiled data took 40 MB a process and whose
`list_all()` 140 MB more.

The radius search is a prefilter on an indexed (latitude, longitude) box
followed by an exact geodesic distance check, so the box only has to be
conservative: never smaller than the circle it stands for.

The exact check is the WGS84 geodesic (Karney's algorithm, in PROJ's C: about
1 µs a pair, against 70 µs for geographiclib's pure Python), and search still
uses it only where a cheap bound cannot decide: the straight-line (chord)
distance through the Earth between two points is never more than the
geodesic, and never less than a circle arc of the Earth's smallest radius of
curvature would allow (see `chord_bounds`). The chord comes from Earth-centred
coordinates (`earth_xyz`) that the search index stores, so it costs a few
multiplications per place.
"""
from __future__ import annotations

import gzip
import math
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from flask_babel import gettext as _
from geopy.distance import ELLIPSOIDS, geodesic
from pyproj import Geod

from . import zip_table

# ASCII only: \d alone would also take other scripts' digits (e.g. "٦٠٦١٤").
ZIP_RE = re.compile(r"^(\d{5})(?:-?\d{4})?$", re.ASCII)

# The smallest radius of curvature of the WGS84 ellipsoid (meridional, at the
# equator), in miles. Turning a distance into an angle with it over-estimates
# the angle, which keeps the box conservative.
MIN_CURVATURE_RADIUS_MILES = 6335.439 / 1.609344
BOX_MARGIN = 1.005  # a further half-percent, for rounding in the box arithmetic

# WGS84 as geopy defines it (kilometres); PROJ measures the same ellipsoid in metres.
_KM_PER_MILE = 1.609344
_WGS84_A_KM, _WGS84_F = ELLIPSOIDS["WGS-84"][0], ELLIPSOIDS["WGS-84"][2]
_GEOD = Geod(a=_WGS84_A_KM * 1000, f=_WGS84_F)
_METRES_PER_MILE = _KM_PER_MILE * 1000
_E2 = _WGS84_F * (2 - _WGS84_F)
EQUATOR_RADIUS_MILES = _WGS84_A_KM / _KM_PER_MILE
# The smallest radius of curvature, exactly: meridional at the equator, a(1 - e²).
MIN_RADIUS_OF_CURVATURE_MILES = EQUATOR_RADIUS_MILES * (1 - _E2)
# Absolute slack for float rounding in chords and thresholds (about 2 mm).
CHORD_SLACK_MILES = 1e-6

# Search indexes points by bands of latitude this tall, then by longitude:
# a radius search reads one short longitude range per band.
BAND_DEGREES = 0.05


class GeoError(ValueError):
    """A location the directory cannot place; the message is shown to the user."""

    def __init__(self, message: str, code: str = "invalid_zip"):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Centroid:
    zip: str
    lat: float
    lon: float
    city: str
    state: str


@dataclass(frozen=True)
class Box:
    """A latitude/longitude rectangle; lon_min > lon_max never happens (split instead)."""

    lat_min: float
    lat_max: float
    lon_min: float
    lon_max: float


# The whole table as a list indexed by the ZIP's number (None where there is
# no such ZIP), holding each ZIP's line of text: read once per process, about
# 15 ms and 6 MB (a dict keyed by ZIP strings took 9 MB). A line is split only
# when its ZIP is asked for (about 1 µs), so no parsed rows or memo are kept.
@lru_cache(maxsize=1)
def _zip_lines() -> list[str | None]:
    lines = gzip.decompress(zip_table.PATH.read_bytes()).decode("utf-8").splitlines()
    if tuple(lines[0].split("\t")) != zip_table.COLUMNS:
        raise RuntimeError(f"{zip_table.PATH}: unexpected header {lines[0]!r}: "
                           "rebuild it with python -m directory.zip_table")
    table: list[str | None] = [None] * 100_000
    for line in lines[1:]:
        table[int(line[:5])] = line
    return table


def _zip_entry(zip5: str) -> Centroid | str:
    """The Centroid of a ZIP, or the reason it is refused.

    zip5 must come from normalize_zip (five ASCII digits), which makes it a
    valid index of the table.
    """
    line = _zip_lines()[int(zip5)]
    if line is None:
        return "unknown_zip"
    zip_code, refusal, lat, lon, city, state = line.split("\t")
    if refusal:  # "inactive_zip" or "unplaceable_zip"
        return refusal
    return Centroid(zip_code, float(lat), float(lon), city, state)


def normalize_zip(text: str | None) -> str:
    """'60614', '60614-1234' and '606141234' -> '60614'; anything else is a GeoError."""
    match = ZIP_RE.match((text or "").strip())
    if not match:
        raise GeoError(_("Enter a 5-digit US ZIP code, like 60614."))
    return match.group(1)


def lookup_zip(text: str | None) -> Centroid:
    zip5 = normalize_zip(text)
    centroid = _zip_entry(zip5)
    if centroid == "unknown_zip":
        raise GeoError(_("We do not know the ZIP code %(zip)s. Check the number and try again.", zip=zip5), "unknown_zip")
    if centroid == "inactive_zip":
        raise GeoError(_("The ZIP code %(zip)s is not in use for mail delivery. Try a nearby ZIP code.", zip=zip5), "inactive_zip")
    if centroid == "unplaceable_zip":
        raise GeoError(_("We cannot place the ZIP code %(zip)s on a map. Try the ZIP code of a nearby town.", zip=zip5),
                       "unplaceable_zip")
    return centroid


def all_centroids() -> list[Centroid]:
    """Every usable ZIP centroid, sorted by ZIP, for demo data and benchmarks.

    Sorted by ZIP is also the order `zipcodes.list_all()` gave, which this
    used to read. Builds some 41,000 Centroids (about 13 MB) per call.
    """
    entries = (_zip_entry(line[:5]) for line in _zip_lines() if line is not None)
    return [c for c in entries if isinstance(c, Centroid)]


def distance_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Geodesic (WGS84) distance in miles: the one distance the directory uses.

    geopy's `geodesic((lat1, lon1), (lat2, lon2)).miles` is the same algorithm
    (Karney's, by the same author, in pure Python through geographiclib); PROJ's C
    port agrees with it to about 1e-13 of the distance (tests check 1e-9 miles)
    and is 70 times faster, which matters because every result shown is measured.
    """
    if abs(lat1) > 90 or abs(lat2) > 90 or abs(lon1) > 180 or abs(lon2) > 180:
        return geodesic((lat1, lon1), (lat2, lon2)).miles  # geopy's own checks and normalising
    return _GEOD.inv(lon1, lat1, lon2, lat2)[2] / _METRES_PER_MILE


def distances_miles(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """distance_miles from one point to each of many, in one call into PROJ (the same computation, element
    by element: equal to distance_miles to the last bit)."""
    lats, lons = np.asarray(lats, dtype=np.float64), np.asarray(lons, dtype=np.float64)
    if abs(lat) > 90 or abs(lon) > 180 or (np.abs(lats) > 90).any() or (np.abs(lons) > 180).any():
        return np.array([distance_miles(lat, lon, a, b) for a, b in zip(lats.tolist(), lons.tolist())])
    if len(lats) == 0:
        return np.empty(0, dtype=np.float64)
    return _GEOD.inv(np.full(len(lats), lon), np.full(len(lats), lat), lons, lats)[2] / _METRES_PER_MILE


def earth_xyz(lat: float, lon: float) -> tuple[float, float, float]:
    """Earth-centred coordinates (miles) of a point on the WGS84 ellipsoid."""
    phi, lam = math.radians(lat), math.radians(lon)
    sin_phi = math.sin(phi)
    n = EQUATOR_RADIUS_MILES / math.sqrt(1 - _E2 * sin_phi * sin_phi)  # prime vertical radius
    return (n * math.cos(phi) * math.cos(lam), n * math.cos(phi) * math.sin(lam), n * (1 - _E2) * sin_phi)


def chord_bounds(chord):
    """(low, high) bounds on the geodesic distance between two points this chord apart (a float or an array).

    Low: no path is shorter than the straight line. High: a geodesic bends
    (as a space curve) no more sharply than the ellipsoid's largest
    curvature 1/R, R = MIN_RADIUS_OF_CURVATURE_MILES; by Schur's comparison
    theorem its chord is then at least that of a circle arc of radius R of the
    same length, so length <= 2R asin(chord / 2R). The bounds differ by about
    (s/R)²/24 of the distance s: 27 parts a million at 100 miles, so a bound
    decides almost every comparison and the geodesic is needed only for near-ties.
    """
    radius = MIN_RADIUS_OF_CURVATURE_MILES
    high = 2 * radius * np.arcsin(np.minimum(1.0, (chord + CHORD_SLACK_MILES) / (2 * radius)))
    return np.maximum(0.0, chord - CHORD_SLACK_MILES), high + CHORD_SLACK_MILES


def surely_within_chord(radius_miles: float) -> float:
    """The longest chord whose points are surely within radius_miles by geodesic."""
    r = MIN_RADIUS_OF_CURVATURE_MILES
    return max(0.0, 2 * r * math.sin(min(math.pi / 2, radius_miles / (2 * r))) - 3 * CHORD_SLACK_MILES)


def surely_inside_box(lat: float, lon: float, radius_miles: float) -> "Box | None":
    """A latitude/longitude box around the point, every point of which is surely within radius_miles.

    Search counts the points in it without measuring them (about half the points
    of the bounding box). The chord from the centre grows along each parallel
    with the longitude difference and, over so short an arc, along each meridian
    away from its nearest point, so within a box around the centre it is
    largest at a corner; corners and edge midpoints are checked, with margin.
    None near the poles or the antimeridian, where the box would not be simple.
    """
    limit = surely_within_chord(radius_miles) - 2 * CHORD_SLACK_MILES
    centre = earth_xyz(lat, lon)
    half_lat = math.degrees(radius_miles / MIN_RADIUS_OF_CURVATURE_MILES) / math.sqrt(2)
    half_lon = half_lat / max(math.cos(math.radians(lat)), 1e-6)
    for _attempt in range(40):
        box = Box(lat - half_lat, lat + half_lat, lon - half_lon, lon + half_lon)
        if box.lat_min < -89 or box.lat_max > 89 or box.lon_min < -180 or box.lon_max > 180:
            return None
        checks = [(a, b) for a in (box.lat_min, lat, box.lat_max) for b in (box.lon_min, lon, box.lon_max)]
        if all(math.dist(centre, earth_xyz(a, b)) <= limit for a, b in checks):
            return box
        half_lat, half_lon = half_lat * 0.95, half_lon * 0.95
    return None


def latitude_band(lat: float) -> int:
    """The index band of a latitude (0 at the South Pole); monotonic in lat."""
    return int((lat + 90.0) / BAND_DEGREES)


def bands_of(box: "Box") -> list[int]:
    return list(range(latitude_band(box.lat_min), latitude_band(box.lat_max) + 1))


def bounding_boxes(lat: float, lon: float, radius_miles: float) -> list[Box]:
    """Boxes that together contain every point within radius_miles of (lat, lon).

    One box normally; two when the circle crosses the antimeridian (the
    Aleutians); a full band of longitude when it reaches near a pole.
    """
    angle = math.degrees(radius_miles * BOX_MARGIN / MIN_CURVATURE_RADIUS_MILES)
    lat_min, lat_max = max(-90.0, lat - angle), min(90.0, lat + angle)
    if lat_max >= 89.9 or lat_min <= -89.9 or angle >= 90:
        return [Box(lat_min, lat_max, -180.0, 180.0)]
    ratio = math.sin(math.radians(angle)) / math.cos(math.radians(lat))
    if ratio >= 1:
        return [Box(lat_min, lat_max, -180.0, 180.0)]
    dlon = math.degrees(math.asin(ratio)) * BOX_MARGIN
    lon_min, lon_max = lon - dlon, lon + dlon
    if lon_min < -180:
        return [Box(lat_min, lat_max, lon_min + 360, 180.0), Box(lat_min, lat_max, -180.0, lon_max)]
    if lon_max > 180:
        return [Box(lat_min, lat_max, lon_min, 180.0), Box(lat_min, lat_max, -180.0, lon_max - 360)]
    return [Box(lat_min, lat_max, lon_min, lon_max)]


# -- geocoding addresses --------------------------------------------------------

def geocoder_from_config(name: str, user_agent: str, adapter_factory=None):
    """The street geocoder for GEOCODER=nominatim, or None for the offline default.

    adapter_factory lets tests hand geopy canned responses (no network in tests).
    """
    if name in ("", "offline"):
        return None
    if name != "nominatim":
        raise ValueError(f"Unknown GEOCODER {name!r}: use 'offline' or 'nominatim'.")
    if not user_agent:
        raise ValueError("GEOCODER=nominatim needs GEOCODER_USER_AGENT (Nominatim's usage policy).")
    from geopy.extra.rate_limiter import RateLimiter
    from geopy.geocoders import Nominatim

    kwargs = {"user_agent": user_agent}
    if adapter_factory is not None:
        kwargs["adapter_factory"] = adapter_factory
    nominatim = Nominatim(**kwargs)
    # Nominatim allows one request a second; RateLimiter also retries errors.
    return RateLimiter(nominatim.geocode, min_delay_seconds=1.0, max_retries=2, swallow_exceptions=True)


def place_address(address_1: str, city: str, state: str, postal_code: str, geocode=None) -> tuple[float, float]:
    """Coordinates for an address: the street geocoder's answer when one is set and
    it finds the address, else the ZIP centroid (raises GeoError for a bad ZIP)."""
    centroid = lookup_zip(postal_code)
    if geocode is not None and address_1:
        found = geocode({"street": address_1, "city": city, "state": state,
                         "postalcode": centroid.zip, "country": "us"})
        if found is not None:
            return float(found.latitude), float(found.longitude)
    return centroid.lat, centroid.lon
