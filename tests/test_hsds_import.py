"""`flask hsds-import PATH`: round trips, the official examples, moderation, all-or-nothing, hostile input."""
from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from directory.extensions import db
from directory.hsds import importer_sources
from directory.hsds.export import export
from directory.models import AuditEvent, Listing, ListingRevision, Organization, Phone
from directory.seeding import seed_taxonomy
from tests.conftest import empty_all_tables
from tests.hsds_schemas import HSDS_DIR, NO_HSDS, schema_errors
from tests.test_hsds_export import read_csv

EXAMPLES = HSDS_DIR / "examples"
needs_hsds = pytest.mark.skipif(not (EXAMPLES / "csv").is_dir(), reason=NO_HSDS)


def run_import(runner, path, *args):
    result = runner.invoke(args=["hsds-import", str(path), *args])
    db.session.rollback()  # see what the command (its own app context and session) wrote
    return result


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def admin(make):
    return make.user("admin", email="admin@example.org")


def approve_as(admin) -> list[str]:
    return ["--approve", "--as", admin.email]


def same_files(first: Path, second: Path) -> None:
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir())
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def zip_folder(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, f"export/{path.name}")
    return target


# -- round trips ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("source", ["folder", "services.json", "zip"])
def test_round_trip_export_import_export_is_byte_identical(app, make, runner, tmp_path, source):
    make.hsds_dataset()
    export(tmp_path / "first")
    empty_all_tables()
    admin = make.user("admin", email="admin@example.org")
    path = {"folder": tmp_path / "first", "services.json": tmp_path / "first" / "services.json",
            "zip": zip_folder(tmp_path / "first", tmp_path / "first.zip")}[source]
    result = run_import(runner, path, *approve_as(admin))
    assert result.exit_code == 0, result.output
    assert "3 services (3 new, 0 updated)" in result.output
    export(tmp_path / "second")
    same_files(tmp_path / "first", tmp_path / "second")


def test_round_trip_of_the_demo_directory(app, runner, tmp_path, make):
    assert runner.invoke(args=["seed", "--demo"]).exit_code == 0
    export(tmp_path / "first")
    empty_all_tables()
    admin = make.user("admin", email="admin@example.org")
    result = run_import(runner, tmp_path / "first", *approve_as(admin))
    assert result.exit_code == 0, result.output
    export(tmp_path / "second")
    same_files(tmp_path / "first", tmp_path / "second")


def test_a_second_run_updates_and_never_duplicates(app, make, runner, tmp_path, admin):
    make.hsds_dataset()
    export(tmp_path / "out")
    before = {model: count(model) for model in (Listing, Organization, Phone)}
    first = run_import(runner, tmp_path / "out", *approve_as(admin))
    second = run_import(runner, tmp_path / "out" / "services.json", *approve_as(admin))
    assert first.exit_code == second.exit_code == 0, first.output + second.output
    assert "0 new, 3 updated" in second.output
    assert {model: count(model) for model in before} == before


def test_formula_prefix_is_undone_only_where_export_added_it(app, make, runner, tmp_path, admin):
    make.hsds_dataset()
    export(tmp_path / "out")
    rows = {row[3] for row in read_csv(tmp_path / "out" / "services.csv")[1:]}
    assert "'=Evening Circle" in rows
    empty_all_tables()
    admin = make.user("admin", email="admin@example.org")
    assert run_import(runner, tmp_path / "out", *approve_as(admin)).exit_code == 0
    group = db.session.scalar(select(Listing).where(Listing.name == "=Evening Circle"))
    assert group.description.startswith("'Quoted' start")  # a leading ' that export did not add stays
    assert group.cost_details == "-5 dollars a session" and group.how_to_join == "@register online or call"
    assert group.locations[0].longitude < 0  # a number column keeps its minus sign


def test_unknown_terms_are_kept_and_exported_again(app, runner, tmp_path, admin):
    seed_taxonomy()
    db.session.commit()
    service = minimal_service(attributes=[
        {"id": "a1", "link_type": "cancer_type", "value": "thyroid"},
        {"id": "a2", "link_type": "eligibility", "value": "veterans",
         "taxonomy_term": {"id": "t-vet", "code": "VET", "name": "Veterans", "description": "Served in the forces"}},
        {"id": "a3", "link_type": "delivery", "value": "online"}])
    path = write_json(tmp_path / "in.json", service)
    result = run_import(runner, path, *approve_as(admin))
    assert result.exit_code == 0, result.output
    assert "kept as other terms" in result.output
    listing = db.session.scalar(select(Listing))
    assert listing.delivery == ["online"] and listing.cancer_type == []
    assert [entry["value"] for entry in listing.other_terms] == ["thyroid", "veterans"]
    export(tmp_path / "out")
    attributes = {row[5] for row in read_csv(tmp_path / "out" / "attributes.csv")[1:]}
    assert {"thyroid", "veterans", "online"} <= attributes
    assert "t-vet" in {row[0] for row in read_csv(tmp_path / "out" / "taxonomy_terms.csv")[1:]}


def test_listing_facts_travel_through_export_and_import(app, make, runner, tmp_path):
    """Online-safety facts, the Spanish description, accessibility and the demo mark come back as they were."""
    from directory.hsds.mapping import LISTING_FACT_LINK_TYPES

    columns = ("description_es", "accessibility", "moderator_credentials", "privacy_policy_url", "records_sessions",
               "anonymity_allowed", "medical_advice_policy", "is_demo")
    assert set(columns) == set(LISTING_FACT_LINK_TYPES)
    before = {item.name: {name: getattr(item, name) for name in columns} for item in make.hsds_dataset()}
    assert all(any(facts[name] not in (None, False) for facts in before.values()) for name in columns)
    export(tmp_path / "out")
    empty_all_tables()
    admin = make.user("admin", email="admin@example.org")
    assert run_import(runner, tmp_path / "out", *approve_as(admin)).exit_code == 0
    after = {item.name: {name: getattr(item, name) for name in columns} for item in db.session.scalars(select(Listing))}
    assert after == before


def test_a_fact_or_code_missing_from_the_file_is_cleared(app, runner, tmp_path, admin):
    stated = [{"id": "d", "link_type": "is_demo", "value": "true"},
              {"id": "p", "link_type": "privacy_policy_url", "value": "https://hope.example.org/privacy"},
              {"id": "m", "link_type": "moderation", "value": "trained_peer"},
              {"id": "o", "link_type": "membership", "value": "open"}]
    assert run_import(runner, write_json(tmp_path / "a.json", minimal_service(attributes=stated)),
                      *approve_as(admin)).exit_code == 0
    listing = db.session.scalar(select(Listing))
    assert listing.is_demo and listing.privacy_policy_url == "https://hope.example.org/privacy"
    assert (listing.moderation, listing.membership) == ("trained_peer", "open")
    assert run_import(runner, write_json(tmp_path / "b.json", minimal_service()), *approve_as(admin)).exit_code == 0
    db.session.refresh(listing)
    assert listing.is_demo is False and listing.privacy_policy_url is None
    assert (listing.moderation, listing.membership) == (None, None)


def test_bad_listing_facts_are_report_lines(app, runner, tmp_path, make):
    make.hsds_dataset()
    export(tmp_path / "out")
    attributes = tmp_path / "out" / "attributes.csv"
    rows = read_csv(attributes)
    header = rows[0]
    link_type, value = header.index("link_type"), header.index("value")
    # A report names the line a record starts on; a cell with line breaks (accessibility) spans several.
    line, line_of = 2, {}
    for row in rows[1:]:
        line_of[row[0]] = line
        line += 1 + sum(cell.count("\n") for cell in row)
    bad = {"privacy_policy_url": "javascript:alert(1)", "records_sessions": "sometimes",
           "moderator_credentials": "x" * 301, "is_demo": "yes"}
    lines = {}
    for row in rows[1:]:
        if row[link_type] in bad:
            row[value] = bad.pop(row[link_type])
            lines[row[link_type]] = line_of[row[0]]
    assert not bad  # the data set has every one of these facts
    with open(attributes, "w", encoding="utf-8", newline="") as out:
        csv.writer(out, lineterminator="\n").writerows(rows)
    empty_all_tables()
    result = run_import(runner, tmp_path / "out")
    assert result.exit_code != 0 and "Traceback" not in result.output
    for fact, reason in (("privacy_policy_url", "must be a web address starting with http:// or https://"),
                         ("records_sessions", "must be true or false"),
                         ("moderator_credentials", "is 301 characters long; at most 300 fit"),
                         ("is_demo", "must be true or false")):
        assert f"attributes.csv, row {lines[fact]}, field value: {fact} {reason}" in result.output, result.output
    assert "Nothing was imported: 4 problems" in result.output
    assert count(Listing) == 0


def test_a_long_spanish_description_is_not_cut_at_the_term_limit(app, runner, tmp_path, admin):
    text = "Apoyo. " * 400  # 2,800 characters: longer than a code or kept term may be
    service = minimal_service(attributes=[{"id": "es", "link_type": "description_es", "value": text},
                                          {"id": "x", "link_type": "eligibility", "value": "y" * 1001}])
    result = run_import(runner, write_json(tmp_path / "in.json", service), *approve_as(admin))
    assert "field attributes[1].value: is 1001 characters long; at most 1000 fit" in result.output
    assert "attributes[0]" not in result.output and count(Listing) == 0


# -- moderation and the audit trail --------------------------------------------------------------------------

def test_imported_listings_wait_for_review(app, runner, tmp_path):
    result = run_import(runner, write_json(tmp_path / "in.json", [minimal_service()]))
    assert result.exit_code == 0, result.output
    assert "Imported 1 service (1 new, 0 updated) and 1 organization from" in result.output
    listing = db.session.scalar(select(Listing))
    assert listing.status == "pending"
    revision = db.session.scalar(select(ListingRevision))
    assert revision.status == "pending" and revision.is_new_listing and revision.listing_id == listing.id
    actions = {(e.action, e.object_type, e.object_id) for e in db.session.scalars(select(AuditEvent))}
    assert ("hsds_import_created", "listing", listing.id) in actions


def test_an_admin_may_approve_and_is_audited(app, runner, tmp_path, admin):
    result = run_import(runner, write_json(tmp_path / "in.json", minimal_service()), *approve_as(admin))
    assert result.exit_code == 0, result.output
    listing = db.session.scalar(select(Listing))
    assert listing.status == "approved"
    assert count(ListingRevision) == 0
    events = list(db.session.scalars(select(AuditEvent)))
    assert {(e.actor_id, e.object_type) for e in events} == {(admin.id, "listing"), (admin.id, "organization")}


@pytest.mark.parametrize("who, message", [
    (None, "needs --as"),
    ("nobody@example.org", "No active account"),
    ("coordinator", "only an admin"),
    ("deactivated", "No active account"),
])
def test_approve_is_refused_without_an_active_admin(app, make, runner, tmp_path, who, message):
    if who == "coordinator":
        who = make.user("coordinator").email
    elif who == "deactivated":
        who = make.user("admin", deactivated=True).email
    args = ["--approve"] + (["--as", who] if who else [])
    result = run_import(runner, write_json(tmp_path / "in.json", minimal_service()), *args)
    assert result.exit_code != 0
    assert message in result.output and "Traceback" not in result.output
    assert count(Listing) == 0


def test_dry_run_writes_nothing(app, runner, tmp_path):
    result = run_import(runner, write_json(tmp_path / "in.json", minimal_service()), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Dry run: nothing was written" in result.output
    assert count(Listing) == count(Organization) == count(AuditEvent) == 0


# -- the official examples ---------------------------------------------------------------------------------------

@needs_hsds
@pytest.mark.parametrize("name, services", [
    ("service_full.json", 1), ("service_list.json", 1), ("organization_full.json", 1),
    ("organization_list.json", 0), ("service_at_location_full.json", 1), ("service_at_location_list.json", 1),
    ("location.json", 0), ("taxonomy.json", 0), ("taxonomy_term.json", 0), ("base.json", 0),
])
def test_official_json_examples_import(app, runner, name, services):
    result = run_import(runner, EXAMPLES / name)
    assert result.exit_code == 0, result.output
    assert count(Listing) == services
    if services:
        listing = db.session.scalar(select(Listing))
        assert listing.status == "pending" and listing.organization.hsds_id == "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610"
    if name == "service_full.json":
        assert listing.phones[0].number == '"+44 1234 234567"' and listing.phones[0].extension == "100"
        assert listing.schedules[0].byday == "TH,FR" and listing.schedules[0].timezone == "Etc/GMT-3"
        assert listing.languages == ["ur"] and listing.other_terms[0]["term"]["code"] == "code"
        assert "cannot be put on the map" in result.output  # latitude 100 and no US ZIP code


@needs_hsds
def test_official_csv_package_reports_its_broken_references(app, runner):
    result = run_import(runner, EXAMPLES / "csv")
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    for line in ("csv/attributes.csv, row 2, field link_id: refers to f28dd44b",
                 "csv/locations.csv, row 2, field organization_id: refers to organization 985e4a42",
                 "csv/taxonomy_terms.csv, row 2, field taxonomy_id: refers to taxonomy 07ff6aee"):
        assert line in result.output
    assert "Nothing was imported: 3 problems" in result.output
    assert count(Listing) == count(Organization) == 0


# -- all or nothing, and hostile input ------------------------------------------------------------------------------

def minimal_service(**overrides) -> dict:
    return {"id": "svc-1", "name": "Hope Circle", "status": "active",
            "organization": {"id": "org-1", "name": "Hope Network", "description": "Peer support."}, **overrides}


def write_json(path: Path, data) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_every_problem_is_reported_and_nothing_is_written(app, runner, tmp_path):
    services = [minimal_service(),  # fine on its own, but the import is all or nothing
                minimal_service(id="svc-2", name=None, url="javascript:alert(1)"),
                minimal_service(id="svc-3", status="open", assured_date="yesterday",
                                phones=[{"id": "p1", "number": 5551234}])]
    result = run_import(runner, write_json(tmp_path / "in.json", services))
    assert result.exit_code != 0 and "Traceback" not in result.output
    for line in ("in.json, item 2, field name: missing", "in.json, item 2, field url: must be a web address",
                 "in.json, item 3, field status: 'open' is not one of", "in.json, item 3, field assured_date",
                 "in.json, item 3, field phones[0].number: must be text"):
        assert line in result.output
    assert "5 problems" in result.output
    assert count(Listing) == count(Organization) == 0


def bad_zip(tmp_path: Path, members: dict[str, bytes]) -> Path:
    path = tmp_path / "in.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


HOSTILE = {
    "malformed JSON": (lambda tmp: _bytes(tmp, b'{"id": "x", "name": '), "line 1 column 21: not valid JSON"),
    "not an object": (lambda tmp: write_json(tmp / "in.json", [42]), "item 1: must be an object"),
    "wrong type": (lambda tmp: write_json(tmp / "in.json", minimal_service(name=["a"])), "field name: must be text"),
    "huge string": (lambda tmp: write_json(tmp / "in.json", minimal_service(description="x" * 50_000)),
                    "field description: is 50000 characters long"),
    "NUL character": (lambda tmp: write_json(tmp / "in.json", minimal_service(name="Hope\x00")),
                      "field name: contains control characters"),
    "missing id and status": (lambda tmp: write_json(tmp / "in.json", {"name": "x", "organization_id": "o"}),
                              "field id: missing"),
    "unknown organization": (lambda tmp: write_json(tmp / "in.json", {"id": "s", "name": "x", "status": "active",
                                                                      "organization_id": "nowhere"}),
                             "refers to organization nowhere, which is neither in this input nor in the directory"),
    "duplicate ids": (lambda tmp: write_json(tmp / "in.json", [minimal_service(), minimal_service()]),
                      "item 2, field id: the service id svc-1 is used twice (also at in.json, item 1)"),
    "bad vocabulary fact": (lambda tmp: write_json(tmp / "in.json", minimal_service(attributes=[
        {"id": "a", "link_type": "license_state", "value": "Illinois"}])), "is not a US state code"),
    "zip-slip": (lambda tmp: bad_zip(tmp, {"../../etc/evil.json": b"{}", "datapackage.json": b"{}"}),
                 "in.zip/../../etc/evil.json: a path that leaves the zip's folder"),
    "not a zip": (lambda tmp: _bytes(tmp, b"PK\x03\x04 broken", "in.zip"), "in.zip: not a readable zip file"),
    "non-UTF-8 CSV": (lambda tmp: _package(tmp, {"services.csv": "id,name\ns1,Caf\xe9\n".encode("latin-1")}),
                      "services.csv, row 2: not UTF-8 text"),
    "duplicate CSV ids": (lambda tmp: _package(tmp, {"organizations.csv": b"id,name,description\no1,A,a\no1,B,b\n"}),
                          "organizations.csv, row 3, field id: the id o1 is used twice"),
    "JSON null": (lambda tmp: _bytes(tmp, b"null"), "in.json: must be a service, an organization"),
    "thousands of digits": (lambda tmp: _bytes(tmp, b'{"id": ' + b"9" * 5000 + b"}"), "in.json: not valid JSON"),
    "unterminated CSV quote": (lambda tmp: _package(tmp, {"services.csv": b'id,name\ns1,"Hope\n'}),
                               "services.csv, row 2: not valid CSV"),
    "package path outside": (lambda tmp: _package(tmp, {}, [{"name": "service", "path": "../../etc/passwd"}]),
                             "datapackage.json, resource service, field path: ../../etc/passwd leaves"),
    "CSV broken reference": (lambda tmp: _package(tmp, {"phones.csv": b"id,service_id,number\np1,ghost,555\n"}),
                             "phones.csv, row 2, field service_id: refers to ghost, which is not in services.csv"),
}


def _bytes(tmp: Path, data: bytes, name: str = "in.json") -> Path:
    (tmp / name).write_bytes(data)
    return tmp / name


def _package(tmp: Path, files: dict[str, bytes], resources: list | None = None) -> Path:
    folder = tmp / "package"
    folder.mkdir()
    (folder / "datapackage.json").write_text(json.dumps({"resources": resources or []}), encoding="utf-8")
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_input_is_a_clear_report_line(app, runner, tmp_path, case):
    build, expected = HOSTILE[case]
    result = run_import(runner, build(tmp_path))
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert expected in result.output, result.output
    assert count(Listing) == count(Organization) == 0


@pytest.mark.parametrize("limit, value", [("MAX_FILE_BYTES", 10_000), ("MAX_ZIP_BYTES", 10_000),
                                          ("MAX_RATIO_FROM", 10_000)])
def test_zip_bombs_are_refused_before_unpacking(app, runner, tmp_path, monkeypatch, limit, value):
    monkeypatch.setattr(importer_sources, limit, value)
    path = bad_zip(tmp_path, {"services.json": b" " * 500_000 + b"[]"})  # 500 kB from about 500 bytes
    result = run_import(runner, path)
    assert result.exit_code != 0
    assert "zip bomb" in result.output and "Traceback" not in result.output


def test_markup_is_kept_as_plain_text_with_a_note(app, runner, tmp_path):
    result = run_import(runner, write_json(tmp_path / "in.json", minimal_service(name="<script>x</script>Hope")))
    assert result.exit_code == 0, result.output
    assert "HTML markup was kept as plain text" in result.output
    assert db.session.scalar(select(Listing.name)) == "<script>x</script>Hope"


def test_a_missing_path_is_refused(app, runner, tmp_path):
    result = run_import(runner, tmp_path / "absent.json")
    assert result.exit_code != 0 and "does not exist" in result.output


def test_a_zip_of_one_json_file_imports(app, runner, tmp_path):
    path = bad_zip(tmp_path, {"services.json": json.dumps([minimal_service()]).encode()})
    result = run_import(runner, path)
    assert result.exit_code == 0, result.output
    assert count(Listing) == 1



def test_a_moderator_can_publish_an_imported_listing(app, make, runner, tmp_path):
    from directory.listings_service import approve, pending_revisions

    service = minimal_service(phones=[{"id": "p1", "number": "312-555-0100"}], attributes=[
        {"id": "a", "link_type": "delivery", "value": "online"}, {"id": "b", "link_type": "language", "value": "es"}],
        service_areas=[{"id": "sa", "name": "IL"}])
    assert run_import(runner, write_json(tmp_path / "in.json", service)).exit_code == 0
    [revision] = pending_revisions()
    approve(make.user("moderator"), revision)
    listing = db.session.scalar(select(Listing))
    assert listing.status == "approved"
    assert listing.delivery == ["online"] and listing.languages == ["es"] and listing.service_area == ["IL"]
    assert [phone.hsds_id for phone in listing.phones] == ["p1"]


def test_a_moderator_approving_an_import_keeps_what_the_form_cannot_show(app, make, runner, tmp_path):
    """The review form edits one simplified phone, schedule and place; approving as it stands keeps them all."""
    from directory.listings_service import approve, pending_revisions

    make.hsds_dataset()
    export(tmp_path / "first")
    empty_all_tables()
    assert run_import(runner, tmp_path / "first").exit_code == 0
    moderator = make.user("moderator")
    for revision in pending_revisions():
        approve(moderator, revision)
    db.session.commit()
    group = db.session.scalar(select(Listing).where(Listing.name == "=Evening Circle"))
    assert group.status == "approved"
    assert sorted((s.freq, s.byday, s.description or "") for s in group.schedules) == [
        ("MONTHLY", "1SA", ""), ("WEEKLY", "TU,TH", "Second floor")]
    assert sorted((p.number, p.extension or "") for p in group.phones) == [("+1 312-555-0100", "12"), ("312-555-0199", "")]
    assert [place.postal_code for place in group.locations] == ["60614"]


@needs_hsds
def test_kept_terms_export_valid_hsds(app, make, tmp_path):
    """Other terms go out as valid attributes, and their term and taxonomy rows keep the package's keys whole."""
    make.hsds_dataset()
    export(tmp_path)
    for service in json.loads((tmp_path / "services.json").read_text(encoding="utf-8")):
        assert not schema_errors(service, "compiled/service.json")
    terms = {row[0]: row for row in read_csv(tmp_path / "taxonomy_terms.csv")[1:]}
    taxonomies = {row[0] for row in read_csv(tmp_path / "taxonomies.csv")[1:]}
    header = read_csv(tmp_path / "taxonomy_terms.csv")[0]
    assert "6a7e0c1d-2b3f-4a5e-8d9c-0e1f2a3b4c5d" in terms
    for row in terms.values():
        assert row[header.index("taxonomy_id")] in taxonomies | {""}
    for row in read_csv(tmp_path / "attributes.csv")[1:]:
        assert row[2] in terms  # every attribute's taxonomy_term_id resolves
