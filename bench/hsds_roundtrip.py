"""HSDS round-trip benchmark: export N published listings, import them into an empty directory, export again.

    .venv/bin/python bench/hsds_roundtrip.py --listings 10000
    .venv/bin/python bench/hsds_roundtrip.py --listings 10000 --database-url postgresql://postgres@127.0.0.1/bench_hsds

The source database is new each run (bench/out/hsds-N-source.sqlite, or the given PostgreSQL
database, emptied first), built with bench/search.py's builder, then made all published and given
the facts that builder leaves empty (Spanish descriptions, accessibility, moderators' credentials,
medical-advice policies, demo listings, kept foreign terms), plus our taxonomy. The target is a
second new database (bench/out/hsds-N-target.sqlite, or DATABASE_import on the same PostgreSQL
server) with one admin. Everything runs in-process through the app's own functions, the ones the
CLI commands call (hsds.export.export, hsds.importer.import_path with --approve), so the times are
the work itself without interpreter start-up. Steps: export; import into the empty target; export
the target; compare the two exports byte for byte; import the same package again (all updates).
Prints a table of seconds and sizes; the last line is one JSON object. Exits 1 if the exports differ.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, select, text, update  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.search import OUT, build, database_url, empty_database, rss_mb  # noqa: E402
from directory import create_app, search_index  # noqa: E402
from directory.extensions import db  # noqa: E402
from directory.models import Listing  # noqa: E402
from directory.seeding import seed_taxonomy  # noqa: E402

ADMIN_EMAIL = "bench-admin@example.org"
# A foreign taxonomy's term, kept by one listing in a hundred as an import would keep it.
KEPT_TERM = {"id": "6a7e0c1d-2b3f-4a5e-8d9c-0e1f2a3b4c5d", "code": "YZ-1", "name": "Adults",
             "description": "People 18 and over", "taxonomy": "Open Eligibility",
             "taxonomy_id": "9b8c7d6e-5f4a-4b3c-9d2e-1f0a9b8c7d6e"}
KEPT_TAXONOMY = {"id": "9b8c7d6e-5f4a-4b3c-9d2e-1f0a9b8c7d6e", "name": "Open Eligibility",
                 "description": "Who a service is for", "version": "2"}


def make_app(url: str):
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "benchmark-secret-key-" + "x" * 40,
                       "RATELIMIT_ENABLED": False, "SEARCH_CACHE_URL": "off"})


def urls(given: str | None, n: int) -> tuple[str, str]:
    """(source, target): two SQLite files of our own (not search.py's), or the given PostgreSQL
    database and a sibling DATABASE_import, created when missing."""
    if not given:
        OUT.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{OUT / f'hsds-{n}-source.sqlite'}", f"sqlite:///{OUT / f'hsds-{n}-target.sqlite'}"
    source = make_url(database_url(given, n))
    target = source.set(database=f"{source.database}_import")
    server = create_engine(source.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}) is None:
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    server.dispose()
    return (source.render_as_string(hide_password=False), target.render_as_string(hide_password=False))


def fill_source(n: int, seed: int) -> None:
    """search.py's listings, all published, with every fact the HSDS export carries on some of them."""
    build(n, seed)
    quiet = {"synchronize_session": False}  # bulk statements: no objects in the session to keep in step
    for where, values in (
        (Listing.id > 0, {"status": "approved", "service_status": "active"}),
        (Listing.id % 3 == 0, {"description_es": "Un grupo de apoyo para personas con cáncer y sus familias.",
                               "medical_advice_policy": "No medical advice: bring medical questions to your care "
                                                       "team."}),
        (Listing.id % 3 == 1, {"accessibility": "- Step-free entrance\n- Captions on video meetings"}),
        (Listing.id % 3 == 2, {"moderator_credentials": "Peer leaders trained by the network; a social worker "
                                                        "supervises"}),
        (Listing.id % 50 == 0, {"is_demo": True}),
    ):
        db.session.execute(update(Listing).where(where).values(**values), execution_options=quiet)
    kept = [{"id": listing_id, "other_terms": [{
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-attribute-{listing_id}")), "link_type": "eligibility",
        "value": "adults", "term": KEPT_TERM, "taxonomy": KEPT_TAXONOMY}]}
        for listing_id in db.session.scalars(select(Listing.id).where(Listing.id % 100 == 7))]
    if kept:
        db.session.execute(update(Listing), kept)  # ORM bulk update by primary key
    seed_taxonomy()
    db.session.commit()
    search_index.rebuild(db.session.connection())  # the statuses changed: keep the search entries true
    db.session.commit()


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.iterdir())


def differing_files(first: Path, second: Path) -> list[str]:
    names = sorted({p.name for p in first.iterdir()} | {p.name for p in second.iterdir()})
    return [name for name in names if not ((first / name).is_file() and (second / name).is_file()
                                           and (first / name).read_bytes() == (second / name).read_bytes())]


def timed(label: str, work):
    sys.stderr.write(f"{label} ...\n")
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listings", type=int, required=True)
    parser.add_argument("--database-url", help="a PostgreSQL URL (emptied first; the target is DATABASE_import); "
                                               "default new SQLite files in bench/out/")
    parser.add_argument("--seed", type=int, default=20261121)
    args = parser.parse_args(argv)

    from directory.accounts.service import create_user
    from directory.hsds.export import export
    from directory.hsds.importer import ImportFailed, import_path

    source_url, target_url = urls(args.database_url, args.listings)
    first, second = OUT / f"hsds-{args.listings}-first", OUT / f"hsds-{args.listings}-second"
    source, target = make_app(source_url), make_app(target_url)
    with source.app_context():
        database = db.engine.dialect.name
        empty_database(source_url)
        upgrade()
        _, build_seconds = timed(f"building {args.listings:,} listings", lambda: fill_source(args.listings, args.seed))
        exported, export_seconds = timed("hsds-export", lambda: export(first))
        db.session.rollback()
    with target.app_context():
        empty_database(target_url)
        upgrade()
        create_user(ADMIN_EMAIL, "benchmark password " + "x" * 20, "admin", approved=True)
        db.session.commit()

        def run_import():
            try:
                return import_path(first, approve=True, actor_email=ADMIN_EMAIL)
            except ImportFailed as failure:  # a benchmark of a failing import would mean nothing
                raise SystemExit("\n".join(["import failed:", *failure.report.problems[:20]])) from None

        created, import_seconds = timed("hsds-import into an empty database", run_import)
        _, second_export_seconds = timed("hsds-export of the imported directory", lambda: export(second))
        db.session.rollback()
        differing = differing_files(first, second)
        updated, reimport_seconds = timed("hsds-import again (updates)", run_import)

    sizes = {path.name: path.stat().st_size for path in sorted(first.iterdir())}
    rows = [("build (not an HSDS step)", build_seconds, ""),
            ("hsds-export", export_seconds, f"{folder_bytes(first) / 1e6:.1f} MB in {len(sizes)} files"),
            ("hsds-import (new)", import_seconds, f"{created.created:,} new, {created.updated:,} updated"),
            ("hsds-export (again)", second_export_seconds, f"{folder_bytes(second) / 1e6:.1f} MB"),
            ("hsds-import (updates)", reimport_seconds, f"{updated.created:,} new, {updated.updated:,} updated")]
    print(f"\nHSDS round trip: {args.listings:,} published listings on {database} "
          f"({exported.counts['service']:,} services exported)\n")
    print(f"{'step':<26}{'seconds':>9}   notes")
    for label, seconds, note in rows:
        print(f"{label:<26}{seconds:>9.1f}   {note}")
    print(f"\nservices.json {sizes['services.json'] / 1e6:.1f} MB; "
          f"attributes.csv {sizes['attributes.csv'] / 1e6:.1f} MB; peak RSS {rss_mb():.0f} MB")
    print("the two exports are byte-identical" if not differing else f"the exports DIFFER in: {', '.join(differing)}")
    summary = {
        "listings": args.listings, "database": database, "services": exported.counts["service"],
        "export_seconds": round(export_seconds, 2), "import_seconds": round(import_seconds, 2),
        "second_export_seconds": round(second_export_seconds, 2), "reimport_seconds": round(reimport_seconds, 2),
        "build_seconds": round(build_seconds, 1), "export_bytes": folder_bytes(first),
        "services_json_bytes": sizes["services.json"], "file_bytes": sizes, "identical": not differing,
        "differing_files": differing, "peak_rss_mb": round(rss_mb(), 1),
    }
    print(json.dumps(summary))
    if differing:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
