"""Search benchmark: build a directory of N synthetic listings, then time a fixed mix of searches.

    .venv/bin/python bench/search.py --listings 100000
    .venv/bin/python bench/search.py --listings 100000 --database-url postgresql://postgres@127.0.0.1/bench --json

The database is new each run (a SQLite file under bench/out/, or the given
PostgreSQL database, emptied first) and built by the app's own migrations.
Listings sit at real ZIP centroids, weighted toward dense areas and jittered,
with every vocabulary field mixed; about 15% are remote-only. Searches go
through the app in-process (Flask test client), /api/v1/search and /search.
A naive full scan (every listing's geodesic distance) runs on a subset of the
same queries, checks that it returns the same page, and gives the speed ratio.
With --json the last line is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import math
import random
import resource
import runpy
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from datetime import date, datetime, time as clock, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from geopy.distance import geodesic  # noqa: E402
from sqlalchemy import exists, func, insert, make_url, select, text  # noqa: E402
from werkzeug.datastructures import MultiDict  # noqa: E402

from directory import create_app, search_index  # noqa: E402
from directory.extensions import db  # noqa: E402
from directory.geo import all_centroids, lookup_zip  # noqa: E402
from directory.models import (  # noqa: E402
    Listing, ListingCode, Location, Organization, Phone, Schedule, ServiceAtLocation)
from directory.search import filter_clauses, load_listings, parse_search_args, run_search  # noqa: E402
from directory.vocabulary import (  # noqa: E402
    AUDIENCE, CANCER_TYPE, COST, DELIVERY, JOURNEY_STAGE, LANGUAGE, LICENSE_TYPE, MEMBERSHIP, MODERATION,
    NATIONWIDE, ONLINE_MODE, SESSION_FORMAT)

OUT = ROOT / "bench" / "out"
BATCH = 5000
RADII = (10, 25, 50, 100)
FILTER_COUNTS = (0, 1, 3)
DEEP_PAGE = 10  # with 20 a page: results 181-200
PER_PAGE = 20


# -- progress on stderr ---------------------------------------------------------------

class Progress:
    def __init__(self, label: str, total: int):
        self.label, self.total, self.done, self.started, self.shown = label, max(1, total), 0, time.perf_counter(), 0.0

    def advance(self, n: int) -> None:
        self.done += n
        now = time.perf_counter()
        if now - self.shown > 0.25 or self.done >= self.total:
            self.shown = now
            filled = int(30 * min(1.0, self.done / self.total))
            sys.stderr.write(f"\r{self.label:<22} [{'#' * filled}{'.' * (30 - filled)}] "
                             f"{self.done:>9,}/{self.total:,}  {now - self.started:6.1f}s")
            sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\n")


# -- places --------------------------------------------------------------------------------

class Places:
    """ZIP centroids, weighted toward dense areas: a ZIP counts more where ZIPs crowd (a proxy for people)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.centroids = sorted(all_centroids(), key=lambda c: c.zip)
        crowd = defaultdict(int)
        for c in self.centroids:
            crowd[(round(c.lat * 4), round(c.lon * 4))] += 1
        weights = [math.sqrt(crowd[(round(c.lat * 4), round(c.lon * 4))]) for c in self.centroids]
        self.cumulative = list(_accumulate(weights))
        by_state = defaultdict(float)
        for c, w in zip(self.centroids, weights):
            by_state[c.state] += w
        self.states = sorted(by_state)
        self.state_cumulative = list(_accumulate(by_state[s] for s in self.states))

    def zip(self):
        return self.rng.choices(self.centroids, cum_weights=self.cumulative)[0]

    def state(self) -> str:
        return self.rng.choices(self.states, cum_weights=self.state_cumulative)[0]


def _accumulate(values):
    total = 0.0
    for v in values:
        total += v
        yield total


# -- building the database ------------------------------------------------------------------

WORDS = ("Hope", "Harbor", "Circle", "Bridge", "Compass", "Lantern", "Together", "Open Door", "Pathways", "Kindred",
         "Wellspring", "Anchor", "Horizon", "Cedar", "Riverside", "Sunrise", "Beacon", "Haven", "Roots", "Journey")
KINDS_OF_GROUP = ("Support Group", "Circle", "Network", "Caregivers Group", "Peer Line", "Survivors Group", "Forum",
                  "Counseling", "Family Program", "Young Adults Meetup")


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _some(rng: random.Random, codes, low: int, high: int) -> list[str]:
    return rng.sample(list(codes), rng.randint(low, high))


def _listing_rows(i: int, org_id: int, rng: random.Random, places: Places, next_location_id):
    """(listing, codes, locations, service_at_locations, phones, schedules) rows for listing i."""
    remote = rng.random() < 0.15
    counseling = rng.random() < 0.3
    kind = "counseling" if counseling else "support_program"
    home = places.zip()
    now = datetime(2026, 11, 1)
    status = rng.choices(("approved", "pending", "draft", "rejected", "archived"), (92, 3, 2, 1, 2))[0]
    if remote:
        delivery = rng.choice((["online"], ["phone"], ["online", "phone"]))
    else:
        delivery = ["in_person"] + _some(rng, ("online", "phone"), 0, 1)
    online = "online" in delivery
    listing = {
        "id": i, "hsds_id": _uuid(rng), "organization_id": org_id,
        "name": f"{rng.choice(WORDS)} {rng.choice(KINDS_OF_GROUP)} of {home.city} {i}",
        "description": f"A synthetic listing for benchmarks near {home.city}, {home.state}.",
        "kind": kind, "session_format": "one_on_one" if counseling else rng.choice(tuple(SESSION_FORMAT)),
        "moderation": "licensed_professional" if counseling else rng.choice(tuple(MODERATION)),
        "online_mode": rng.choice(tuple(ONLINE_MODE)) if online else None,
        "membership": rng.choice(tuple(MEMBERSHIP)), "cost": rng.choice(tuple(COST)),
        "license_type": rng.choice(tuple(LICENSE_TYPE)) if counseling else None,
        "license_state": home.state if counseling else None,
        "accepting_clients": rng.choice((True, False, None)) if counseling else None,
        "privacy_policy_url": "https://example.org/privacy" if online and rng.random() < 0.6 else None,
        "records_sessions": rng.choice((True, False, None)) if online else None,
        "anonymity_allowed": rng.choice((True, False, None)) if online else None,
        "status": status, "service_status": "active" if rng.random() < 0.97 else "inactive",
        "last_verified": date(2026, 1, 1) + timedelta(days=rng.randrange(320)) if rng.random() < 0.8 else None,
        "is_demo": False, "created_at": now, "updated_at": now,
    }
    codes = {
        "delivery": delivery,
        "audience": _some(rng, AUDIENCE, 1, 3),
        "journey_stage": _some(rng, JOURNEY_STAGE, 1, 2),
        "cancer_type": ["any"] if rng.random() < 0.4 else _some(rng, [c for c in CANCER_TYPE if c != "any"], 1, 2),
        "language": ["en"] + (["es"] if rng.random() < 0.25 else []) + (
            [rng.choice(tuple(LANGUAGE)[2:])] if rng.random() < 0.08 else []),
    }
    if remote:
        # Mostly telehealth counselors and state programs; a tenth reach the whole country.
        codes["service_area"] = [NATIONWIDE] if rng.random() < 0.1 else sorted({places.state() for _ in range(
            rng.randint(1, 2))})
    elif counseling and rng.random() < 0.5:
        codes["service_area"] = [home.state]  # telehealth where licensed
    code_rows = [{"listing_id": i, "field": f, "code": c} for f, cs in codes.items() for c in dict.fromkeys(cs)]

    locations, sals = [], []
    if not remote:
        count = rng.choices((1, 2, 3), (90, 8, 2))[0]
        for n in range(count):
            place = home if n == 0 else places.zip()
            location_id = next_location_id()
            locations.append({
                "id": location_id, "hsds_id": _uuid(rng), "organization_id": org_id, "name": "",
                "address_1": f"{rng.randint(1, 9999)} Main St", "city": place.city, "state": place.state,
                "postal_code": place.zip,
                "latitude": place.lat + rng.uniform(-0.02, 0.02), "longitude": place.lon + rng.uniform(-0.02, 0.02)})
            sals.append({"id": location_id, "hsds_id": _uuid(rng), "listing_id": i, "location_id": location_id})
    phones = [{"id": i, "hsds_id": _uuid(rng), "listing_id": i, "number": f"555-{rng.randint(100, 999)}-"
               f"{rng.randint(1000, 9999)}", "type": "voice"}] if rng.random() < 0.7 else []
    schedules = [{"id": i, "hsds_id": _uuid(rng), "listing_id": i, "freq": "WEEKLY", "interval": 1,
                  "byday": rng.choice(("MO", "TU", "WE", "TH")), "opens_at": clock(18, 0), "closes_at": clock(19, 30),
                  "timezone": "America/Chicago"}] if not counseling and rng.random() < 0.6 else []
    return listing, code_rows, locations, sals, phones, schedules


def build(n: int, seed: int) -> dict:
    rng = random.Random(seed)
    places = Places(rng)
    tables = {t: [] for t in ("listing", "listing_code", "location", "service_at_location", "phone", "schedule")}
    models = {"listing": Listing, "listing_code": ListingCode, "location": Location,
              "service_at_location": ServiceAtLocation, "phone": Phone, "schedule": Schedule}
    location_ids = iter(range(1, 10 * n + 10))
    org_count = max(1, n // 10)
    connection = db.session.connection()
    now = datetime(2026, 11, 1)
    for start in range(1, org_count + 1, BATCH):
        connection.execute(insert(Organization), [
            {"id": k, "hsds_id": _uuid(rng), "name": f"Benchmark Organization {k}", "description": "",
             "is_demo": False, "created_at": now, "updated_at": now}
            for k in range(start, min(org_count, start + BATCH - 1) + 1)])
    progress = Progress("inserting listings", n)

    def flush():
        # Parents before children (foreign keys).
        for name in ("listing", "location", "service_at_location", "listing_code", "phone", "schedule"):
            if tables[name]:
                connection.execute(insert(models[name]), tables[name])
                tables[name] = []
        db.session.commit()

    for i in range(1, n + 1):
        listing, codes, locations, sals, phones, schedules = _listing_rows(
            i, rng.randint(1, org_count), rng, places, lambda: next(location_ids))
        tables["listing"].append(listing)
        tables["listing_code"] += codes
        tables["location"] += locations
        tables["service_at_location"] += sals
        tables["phone"] += phones
        tables["schedule"] += schedules
        if i % BATCH == 0:
            flush()
            connection = db.session.connection()
            progress.advance(BATCH)
    flush()
    progress.advance(n % BATCH)
    progress.close()

    progress = Progress("building search index", n)
    connection = db.session.connection()
    entries = search_index.rebuild(connection, progress=lambda last_id: progress.advance(last_id - progress.done))
    db.session.commit()
    progress.close()
    sys.stderr.write("analyzing\n")
    _analyze()
    return {"search_entries": entries}


def _analyze() -> None:
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ("organization", "listing", "location", "service_at_location", "phone", "schedule"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT coalesce(max(id), 1) FROM {table}))"))
            conn.execute(text("VACUUM ANALYZE"))  # index-only scans need the visibility map
    else:
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def database_url(url: str | None, n: int) -> str:
    OUT.mkdir(parents=True, exist_ok=True)
    if not url:
        return f"sqlite:///{OUT / f'bench-{n}.sqlite'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix):]
    return url


def empty_database(url: str) -> None:
    """A new SQLite file, or the PostgreSQL database with nothing in it."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        return
    db.engine.dispose()
    path = url.removeprefix("sqlite:///")
    for suffix in ("", "-wal", "-shm"):
        Path(path + suffix).unlink(missing_ok=True)


# -- the query mix ---------------------------------------------------------------------------

FILTER_CHOICES = {
    "delivery": tuple(DELIVERY), "cost": tuple(COST), "cancer_type": tuple(CANCER_TYPE), "audience": tuple(AUDIENCE),
    "journey_stage": tuple(JOURNEY_STAGE), "language": ("en", "es", "zh", "vi"), "session_format": tuple(SESSION_FORMAT),
    "kind": ("support_program", "counseling"), "moderation": tuple(MODERATION),
}


def query_mix(count: int, seed: int) -> list[tuple[str, list[tuple[str, str]]]]:
    """(type, params) for `count` searches, the same every run: every (radius, filters, page) type equally."""
    rng = random.Random(seed + 1)
    places = Places(rng)
    types = [(r, f, p) for r in RADII for f in FILTER_COUNTS for p in (1, DEEP_PAGE)]
    mix = []
    for k in range(count):
        radius, filters, page = types[k % len(types)]
        params = [("zip", places.zip().zip), ("radius", str(radius))]
        for name in rng.sample(sorted(FILTER_CHOICES), filters):
            params.append((name, rng.choice(FILTER_CHOICES[name])))
        if page != 1:
            params.append(("page", str(page)))
        label = f"r{radius:<3} {filters} filter{'s' if filters != 1 else ' '} {'page 1' if page == 1 else 'deep'}"
        mix.append((label, params))
    return mix


def words_mix(count: int, seed: int) -> list[tuple[str, list[tuple[str, str]]]]:
    """(type, params) for `count` searches with words (q), outside the fixed mix: a word of the listings'
    names, two such words, or a place's name (each in a few hundred to a few thousand listings'
    names), with a ZIP (radius 25) or without."""
    rng = random.Random(seed + 2)
    places = Places(rng)
    mix = []
    for k in range(count):
        center = places.zip()
        kind = ("one word", "two words", "city")[k % 3]
        if kind == "one word":
            q = rng.choice(WORDS)
        elif kind == "two words":
            q = f"{rng.choice(WORDS)} {rng.choice(KINDS_OF_GROUP)}"
        else:
            q = center.city
        with_zip = (k // 3) % 2 == 0
        params = [("zip", center.zip), ("radius", "25")] if with_zip else []
        mix.append((f"q {kind}, {'ZIP' if with_zip else 'no ZIP'}", params + [("q", q)]))
    return mix


def no_zip_mix(count: int, seed: int) -> list[tuple[str, list[tuple[str, str]]]]:
    """(type, params) for `count` searches without a ZIP, outside the fixed mix: every listing that passes
    no filter, one or three, by name, page 1 or the deep page (someone looking for any online group)."""
    rng = random.Random(seed + 3)
    types = [(f, p) for f in FILTER_COUNTS for p in (1, DEEP_PAGE)]
    mix = []
    for k in range(count):
        filters, page = types[k % len(types)]
        params = [(name, rng.choice(FILTER_CHOICES[name])) for name in rng.sample(sorted(FILTER_CHOICES), filters)]
        if page != 1:
            params.append(("page", str(page)))
        mix.append((f"no ZIP {filters} filter{'s' if filters != 1 else ' '} {'page 1' if page == 1 else 'deep'}",
                    params))
    return mix


def percentiles(samples: list[float]) -> dict:
    if not samples:  # a set asked to run no searches (--words-queries 0)
        return {"p50": None, "p95": None, "p99": None}
    ordered = sorted(samples)

    def at(q):
        return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]

    return {"p50": round(at(0.50), 2), "p95": round(at(0.95), 2), "p99": round(at(0.99), 2)}


def time_requests(client, path: str, mix) -> dict[str, list[float]]:
    """Milliseconds per query type (and "all")."""
    times = defaultdict(list)
    progress = Progress(f"searching {path}", len(mix))
    for label, params in mix:
        started = time.perf_counter()
        response = client.get(path, query_string=params)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{path} {params} answered {response.status_code}: {response.get_data(as_text=True)[:300]}")
        times[label].append(elapsed)
        times["all"].append(elapsed)
        progress.advance(1)
    progress.close()
    return times


# -- the naive baseline ----------------------------------------------------------------------

def naive_search(params) -> tuple[int, list[int]]:
    """A full scan: the geodesic distance (geopy) to every location of every listing that passes the filters.

    Kept here, not in the app: it is what search would cost without the index and the bounds.
    """
    query = parse_search_args(MultiDict(params))
    center = lookup_zip(query.zip)
    clauses = filter_clauses(query)
    best: dict[int, float] = {}
    for listing_id, lat, lon in db.session.execute(
            select(ServiceAtLocation.listing_id, Location.latitude, Location.longitude)
            .join(Location, Location.id == ServiceAtLocation.location_id)
            .join(Listing, Listing.id == ServiceAtLocation.listing_id).where(*clauses)):
        miles = geodesic((center.lat, center.lon), (lat, lon)).miles
        if miles <= query.radius and miles < best.get(listing_id, math.inf):
            best[listing_id] = miles
    near = [lid for lid, _ in sorted(best.items(), key=lambda item: (item[1], item[0]))]
    remote_where = [*clauses, ~exists().where(ServiceAtLocation.listing_id == Listing.id),
                    exists().where(ListingCode.listing_id == Listing.id, ListingCode.field == "service_area",
                                   ListingCode.code.in_((center.state, NATIONWIDE)))]
    remote = list(db.session.scalars(select(Listing.id).where(*remote_where).order_by(func.lower(Listing.name), Listing.id)))
    start = (query.page - 1) * query.per_page
    page = (near + remote)[start:start + query.per_page]
    load_listings(page)  # what a page shows, so both sides do the same work
    return len(near) + len(remote), page


def fast_search(params) -> tuple[int, list[int]]:
    result = run_search(parse_search_args(MultiDict(params)))
    return result.total, [hit.listing.id for hit in result.hits]


def compare_with_naive(mix, count: int) -> dict:
    rng = random.Random(7)
    subset = rng.sample(mix, min(count, len(mix)))
    naive_ms, fast_ms, same = [], [], 0
    progress = Progress("naive full scans", len(subset))
    for _, params in subset:
        started = time.perf_counter()
        expected = naive_search(params)
        naive_ms.append((time.perf_counter() - started) * 1000)
        db.session.remove()
        started = time.perf_counter()
        found = fast_search(params)
        fast_ms.append((time.perf_counter() - started) * 1000)
        db.session.remove()
        same += found == expected
        if found != expected:
            sys.stderr.write(f"\nDIFFERENT RESULTS for {params}: naive {expected} fast {found}\n")
        progress.advance(1)
    progress.close()
    return {"queries": len(subset), "identical": same, "naive_ms": statistics.mean(naive_ms),
            "fast_ms": statistics.mean(fast_ms), "ratio": statistics.mean(naive_ms) / statistics.mean(fast_ms)}


# -- main ---------------------------------------------------------------------------------------

def rss_mb(field: str = "VmHWM") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def file_cache_share(url: str) -> float | None:
    """How much of a SQLite database's file is in the operating system's file cache (util-linux's fincore), or
    None (PostgreSQL, or no fincore). At a million listings a search's cards cost several times as much
    read from the disk (bench/README.md, eleventh round): a run is read with this share in mind."""
    path = make_url(url).database if url.startswith("sqlite") else None
    if not path or not shutil.which("fincore"):
        return None
    found = subprocess.run(["fincore", "--bytes", "--noheadings", "--output", "RES,SIZE", path],
                           capture_output=True, text=True, check=False)
    fields = found.stdout.split() if found.returncode == 0 else []
    if len(fields) != 2 or not all(field.isdigit() for field in fields) or fields[1] == "0":
        return None
    return int(fields[0]) / int(fields[1])


def reset_peak_rss() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # Linux: restart VmHWM from the current RSS
    except OSError:
        pass


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listings", type=int, required=True)
    parser.add_argument("--database-url", help="a PostgreSQL URL (emptied first); default a new SQLite file in bench/out/")
    parser.add_argument("--queries", type=int, default=1200, help="searches per endpoint (default 1200)")
    parser.add_argument("--naive-queries", type=int, help="queries for the naive baseline (default by size)")
    parser.add_argument("--words-queries", type=int, default=240, help="searches with words (q), API only (default 240)")
    parser.add_argument("--no-zip-queries", type=int, default=240,
                        help="searches without a ZIP (filters only) per endpoint (default 240)")
    parser.add_argument("--seed", type=int, default=20261121)
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    parser.add_argument("--build-only", action="store_true", help="build the database and stop (for serve.sh)")
    parser.add_argument("--reuse", action="store_true",
                        help="search the database an earlier --build-only run made, reporting that build's figures")
    parser.add_argument("--write-paths", metavar="FILE", help="write the mix as /api/v1/search URLs and stop")
    args = parser.parse_args(argv)
    if args.naive_queries is not None and args.naive_queries < 1:
        parser.error("--naive-queries must be at least 1: the naive baseline's ratio is part of the report")

    if args.write_paths:
        mix = query_mix(args.queries, args.seed)
        Path(args.write_paths).write_text("".join(f"/api/v1/search?{urlencode(params)}\n" for _, params in mix))
        return

    # Memory as in a server process: gunicorn.conf.py fixes glibc's threshold for mapping large blocks in
    # each worker, so freed columns of the places go back to the system (not the garbage collector's
    # settings: these latencies stay comparable with earlier rounds').
    runpy.run_path(str(ROOT / "gunicorn.conf.py"))["fix_malloc_mmap_threshold"]()
    url = database_url(args.database_url, args.listings)
    # No result cache: these are the costs of searching (serve.sh measures the cache).
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "benchmark-secret-key-" + "x" * 40,
                      "RATELIMIT_ENABLED": False, "SEARCH_CACHE_URL": "off"})
    with app.app_context():
        database = db.engine.dialect.name
        record = OUT / f"build-{database}-{args.listings}.json"
        if args.reuse:
            built = json.loads(record.read_text())
        else:
            empty_database(url)
            started = time.perf_counter()
            upgrade()
            built = build(args.listings, args.seed)
            built.update(build_seconds=time.perf_counter() - started, build_peak_rss_mb=rss_mb())
            record.write_text(json.dumps(built))
        db.session.remove()
    build_seconds, build_peak = built["build_seconds"], built["build_peak_rss_mb"]
    if args.build_only:
        print(f"built {args.listings:,} listings on {database} in {build_seconds:.1f} s: {url}")
        return

    mix = query_mix(args.queries, args.seed)
    client = app.test_client()
    cached_share = file_cache_share(url)
    reset_peak_rss()
    started = time.perf_counter()  # the first search reads every place into this process's memory
    client.get("/api/v1/search", query_string=mix[0][1])
    first_ms = (time.perf_counter() - started) * 1000
    for _, params in mix[:24]:  # warm up: imports, templates, caches, the database's pages
        client.get("/api/v1/search", query_string=params)
        client.get("/search", query_string=params)
    api = time_requests(client, "/api/v1/search", mix)
    html = time_requests(client, "/search", mix)
    words = time_requests(client, "/api/v1/search", words_mix(args.words_queries, args.seed))
    no_zip = no_zip_mix(args.no_zip_queries, args.seed)
    no_zip_api, no_zip_html = time_requests(client, "/api/v1/search", no_zip), time_requests(client, "/search", no_zip)
    search_peak = rss_mb()
    naive_count = args.naive_queries if args.naive_queries is not None else max(2, min(12, 1_000_000 // args.listings))
    with app.app_context():
        naive = compare_with_naive(mix, naive_count)

    print(f"\nSearch benchmark: {args.listings:,} listings on {database} ({built['search_entries']:,} search entries)")
    print(f"built in {build_seconds:.1f} s; peak RSS {build_peak:.0f} MB while building, "
          f"{search_peak:.0f} MB while searching; {len(mix)} searches per endpoint, {PER_PAGE} a page, "
          f"deep page = page {DEEP_PAGE}; the first search (loading the places into memory) took {first_ms:,.0f} ms")
    if cached_share is not None:
        print(f"at the start, {cached_share:.0%} of the database file was in the operating system's file cache")
    print()
    print(f"{'query type':<24}{'n':>5} | {'API p50':>8}{'p95':>8}{'p99':>8} | {'HTML p50':>9}{'p95':>8}{'p99':>8}   (ms)")
    for label in sorted(api, key=lambda k: (k == "all", k)):
        a, h = percentiles(api[label]), percentiles(html[label])
        print(f"{label:<24}{len(api[label]):>5} | {a['p50']:>8.1f}{a['p95']:>8.1f}{a['p99']:>8.1f} | "
              f"{h['p50']:>9.1f}{h['p95']:>8.1f}{h['p99']:>8.1f}")
    print("\nsearches with words (q), outside the mix above, API only:")
    for label in sorted(words, key=lambda k: (k == "all", k)):
        w = percentiles(words[label])
        print(f"{label:<24}{len(words[label]):>5} | {w['p50']:>8.1f}{w['p95']:>8.1f}{w['p99']:>8.1f}")
    print("\nsearches without a ZIP (filters only), outside the mix above:")
    for label in sorted(no_zip_api, key=lambda k: (k == "all", k)):
        a, h = percentiles(no_zip_api[label]), percentiles(no_zip_html[label])
        print(f"{label:<24}{len(no_zip_api[label]):>5} | {a['p50']:>8.1f}{a['p95']:>8.1f}{a['p99']:>8.1f} | "
              f"{h['p50']:>9.1f}{h['p95']:>8.1f}{h['p99']:>8.1f}")
    print(f"\nnaive full scan on {naive['queries']} of these queries (search function only, no HTTP): "
          f"{naive['naive_ms']:.0f} ms mean vs {naive['fast_ms']:.1f} ms: {naive['ratio']:.0f}x faster; "
          f"identical results for {naive['identical']}/{naive['queries']}")
    summary = {
        "listings": args.listings, "database": database, "build_seconds": round(build_seconds, 1),
        "peak_rss_mb": round(max(build_peak, search_peak), 1), "search_peak_rss_mb": round(search_peak, 1),
        "api": percentiles(api["all"]), "html": percentiles(html["all"]),
        "naive_ratio": round(naive["ratio"], 1), "naive_queries": naive["queries"],
        "naive_identical": naive["identical"], "first_search_ms": round(first_ms, 1),
        "api_words": percentiles(words["all"]),
        "api_no_zip": percentiles(no_zip_api["all"]), "html_no_zip": percentiles(no_zip_html["all"]),
        "file_cached_share": None if cached_share is None else round(cached_share, 3),
    }
    if args.json:
        print(json.dumps(summary))
    if naive["identical"] != naive["queries"]:
        raise SystemExit("the fast search and the naive scan disagree")


if __name__ == "__main__":
    main()
