"""`flask hsds-export DIR`: services.json (official schemas), the tabular package, neutralised cells."""
from __future__ import annotations

import csv
import json
import shutil
import subprocess
from datetime import time
from pathlib import Path

import pytest

from directory.hsds.export import export, table_resources
from directory.seeding import seed_taxonomy

from tests.hsds_schemas import HAVE_HSDS, HSDS_DIR, NO_HSDS, schema_errors


@pytest.fixture
def data(make):
    seed_taxonomy()
    counselor = make.listing(
        name="=HYPERLINK(\"http://evil\")", kind="counseling", session_format="one_on_one", moderation=None,
        license_type="clinical_social_worker", license_number="LCSW-123", license_state="IL",
        accepting_clients=True, at=(41.9, -87.6), phones=[{"number": "+1 312-555-0100"}],
        schedules=[{"freq": "WEEKLY", "byday": "TU", "opens_at": time(18, 0),
                    "closes_at": time(19, 30), "timezone": "America/Chicago"}])
    group = make.listing(name="@SUM(A1)", description="-1 is not a formula here", service_area=["IL"])
    hidden = make.listing(name="Draft Group", status="pending")
    return counselor, group, hidden


def read_csv(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_services_json_validates_against_official_schema(app, data, tmp_path):
    if not HAVE_HSDS:
        pytest.skip(NO_HSDS)
    export(tmp_path)
    services = json.loads((tmp_path / "services.json").read_text(encoding="utf-8"))
    assert len(services) == 2
    for service in services:
        assert not schema_errors(service, "compiled/service.json")


def test_csv_headers_follow_the_datapackage(app, data, tmp_path):
    export(tmp_path)
    package = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    assert {r["name"] for r in package["resources"]} >= {"organization", "service", "attribute", "taxonomy_term"}
    for resource in package["resources"]:
        header = read_csv(tmp_path / resource["path"])[0]
        assert header == [f["name"] for f in resource["schema"]["fields"]]
    if (HSDS_DIR / "datapackage.json").is_file():
        official = {r["name"]: [f["name"] for f in r["schema"]["fields"]]
                    for r in json.loads((HSDS_DIR / "datapackage.json").read_text())["resources"]}
        for resource in package["resources"]:
            assert [f["name"] for f in resource["schema"]["fields"]] == official[resource["name"]]


def test_bundled_tables_match_the_official_columns(tmp_path):
    if not (HSDS_DIR / "datapackage.json").is_file():
        pytest.skip(NO_HSDS)
    bundled = table_resources(tmp_path / "absent.json")
    official = table_resources()
    for name, resource in official.items():
        assert [f["name"] for f in bundled[name]["schema"]["fields"]] == [f["name"] for f in resource["schema"]["fields"]]
        assert [f["type"] for f in bundled[name]["schema"]["fields"]] == [f["type"] for f in resource["schema"]["fields"]]


def test_formulas_neutralised_numbers_untouched_unpublished_absent(app, data, tmp_path):
    counselor, group, hidden = data
    export(tmp_path)
    services = {row[0]: row for row in read_csv(tmp_path / "services.csv")[1:]}
    names = {row[3] for row in services.values()}
    assert names == {"'=HYPERLINK(\"http://evil\")", "'@SUM(A1)"}
    assert hidden.hsds_id not in services
    assert "'-1 is not a formula here" in {row[5] for row in services.values()}
    locations = read_csv(tmp_path / "locations.csv")
    longitude = locations[0].index("longitude")
    assert [row[longitude] for row in locations[1:]] == ["-87.6"]
    schedules = read_csv(tmp_path / "schedules.csv")
    assert schedules[1][schedules[0].index("timezone")].lstrip("-").isdigit()
    phones = read_csv(tmp_path / "phones.csv")
    assert phones[1][phones[0].index("number")] == "'+1 312-555-0100"
    # services.json is data, not a spreadsheet: it keeps the names as they are
    assert "Draft Group" not in (tmp_path / "services.json").read_text(encoding="utf-8")


def test_two_exports_are_identical(app, data, tmp_path):
    export(tmp_path / "a")
    export(tmp_path / "b")
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert files == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_command_counts_and_refuses_a_file_path(app, data, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["hsds-export", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "2 service" in result.output
    target = tmp_path / "a-file"
    target.write_text("x")
    result = runner.invoke(args=["hsds-export", str(target)])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert "a-file" in result.output




def frictionless_problems(folder: Path) -> set:
    if shutil.which("frictionless") is None and not (Path(__file__).parents[1] / ".venv/bin/frictionless").exists():
        pytest.skip("frictionless is not installed (pip install -r requirements-dev.txt)")
    if not (HSDS_DIR / "datapackage.json").is_file():
        pytest.skip(NO_HSDS)
    binary = shutil.which("frictionless") or str(Path(__file__).parents[1] / ".venv/bin/frictionless")
    run = subprocess.run([binary, "validate", "--json", "datapackage.json"], cwd=folder,
                         capture_output=True, text=True, timeout=120)
    report = json.loads(run.stdout)
    return {(task["name"], error.get("fieldName"), error["type"]) for task in report["tasks"]
            for error in task["errors"]}


def test_frictionless_validates_the_package(app, data, tmp_path):
    export(tmp_path)
    assert not frictionless_problems(tmp_path)


def test_every_fact_exports_valid_even_from_a_database_older_than_its_term(app, make, tmp_path):
    """A database seeded before the listing_fact terms existed (`seed --if-empty` then skips it) still
    exports every fact linked to its term, and the package validates with every fact filled in."""
    from sqlalchemy import delete, select

    from directory.extensions import db
    from directory.models import TaxonomyTerm
    from directory.seeding import LISTING_FACT_FIELD, LISTING_FACT_TERMS

    make.hsds_dataset()
    db.session.execute(delete(TaxonomyTerm).where(TaxonomyTerm.field == LISTING_FACT_FIELD))
    db.session.commit()
    export(tmp_path)
    rows = read_csv(tmp_path / "attributes.csv")
    header = rows[0]
    terms = {row[0] for row in read_csv(tmp_path / "taxonomy_terms.csv")[1:]}
    facts = {row[header.index("link_type")] for row in rows[1:]
             if row[header.index("taxonomy_term_id")] in terms and row[header.index("link_type")] in LISTING_FACT_TERMS}
    assert facts == set(LISTING_FACT_TERMS)
    assert all(row[header.index("taxonomy_term_id")] for row in rows[1:])
    assert len(db.session.scalars(select(TaxonomyTerm).where(TaxonomyTerm.field == LISTING_FACT_FIELD)).all()) \
        == len(LISTING_FACT_TERMS)
    assert not frictionless_problems(tmp_path)
