"""Export the published directory as HSDS 3.0: services.json (fully nested) and a tabular data package.

Every object comes from mapping.py (the one place that maps our models to HSDS); this module only
flattens the nested services into the HSDS tables. Output is deterministic: services and every
table are sorted by id, and nothing depends on the clock, so two exports of the same data are
byte-identical. CSV string cells that a spreadsheet would run as a formula are neutralised.
Messages are for operators at a terminal, so they are plain English, not translated.
"""
from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from ..extensions import db
from ..models import Listing, Taxonomy
from ..search import SearchQuery, filter_clauses
from ..seeding import seed_taxonomy
from . import mapping
from .queries import _with_details, term_index

OFFICIAL_PACKAGE = Path(__file__).resolve().parents[3] / "shared" / "hsds" / "datapackage.json"
BUNDLED_TABLES = Path(__file__).with_name("tables.json")
# The HSDS tables we fill, in the order they appear in our datapackage.json.
TABLES = ("organization", "service", "location", "address", "service_at_location", "phone", "schedule",
          "language", "service_area", "taxonomy", "taxonomy_term", "attribute")
FORMULA_STARTS = ("=", "+", "-", "@")
NEUTRALISED_STARTS = (*FORMULA_STARTS, "'")
BATCH = 500


class ExportError(Exception):
    pass


def table_resources(official: Path = OFFICIAL_PACKAGE) -> dict[str, dict]:
    """Resource descriptors of our tables: the official ones when ../shared/hsds is present, else our
    bundled copy of their column names and types (enough for a fresh clone to export)."""
    if official.is_file():
        resources = {r["name"]: r for r in json.loads(official.read_text(encoding="utf-8"))["resources"]}
        found = {}
        for name in TABLES:
            resource = dict(resources[name])
            schema = dict(resource["schema"])
            # Keep only foreign keys to tables we export, so the package is self-contained.
            keys = [key for key in schema.get("foreignKeys", []) if key["reference"]["resource"] in TABLES]
            schema.pop("foreignKeys", None)
            if keys:
                schema["foreignKeys"] = keys
            resource["schema"] = schema
            found[name] = resource
        return found
    tables = json.loads(BUNDLED_TABLES.read_text(encoding="utf-8"))["tables"]
    return {name: {"name": name, "path": tables[name]["path"], "format": "csv", "mediatype": "text/csv",
                   "profile": "tabular-data-resource",
                   "schema": {"fields": [{"name": n, "type": t} for n, t in tables[name]["fields"]],
                              "primaryKey": "id"}}
            for name in TABLES}


def neutralise(value: str) -> str:
    """A spreadsheet runs a cell starting with = + - @ as a formula; a leading ' makes it text.

    A value that itself starts with ' gets one too, so the importer can take exactly one off
    (importer_sources.undo_neutralise) and get back what we had.
    """
    return "'" + value if value.startswith(NEUTRALISED_STARTS) else value


def cell(value, column_type: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if column_type == "time" and len(text) == 5:  # mapping gives HH:MM; tabular time is HH:MM:SS
        text += ":00"
    # Only string columns: numbers, dates and coordinates (e.g. longitude -87.6) stay as they are.
    return neutralise(text) if column_type == "string" else text


@dataclass
class Tables:
    rows: dict[str, dict[str, dict]] = field(default_factory=lambda: {name: {} for name in TABLES})

    def add(self, table: str, row: dict) -> None:
        self.rows[table][row["id"]] = {key: value for key, value in row.items()
                                       if not isinstance(value, (dict, list))}

    def add_service(self, service: dict) -> None:
        self.add("service", service)
        self.add("organization", service["organization"])
        for name, table in (("phones", "phone"), ("schedules", "schedule"), ("languages", "language"),
                            ("service_areas", "service_area"), ("attributes", "attribute")):
            for row in service.get(name, []):
                self.add(table, row)
        for attribute in service.get("attributes", []):
            self.add_foreign_term(attribute.get("taxonomy_term"))
        for sal in service.get("service_at_locations", []):
            self.add("service_at_location", sal)
            location = sal["location"]
            self.add("location", location)
            for address in location.get("addresses", []):
                self.add("address", address)

    def add_foreign_term(self, term: dict | None) -> None:
        """A term an import kept (not ours) goes into the tables too, so every foreign key resolves."""
        if term is None or term["id"] in self.rows["taxonomy_term"]:
            return
        self.add("taxonomy_term", term)
        if term.get("taxonomy_detail"):
            self.add("taxonomy", term["taxonomy_detail"])


@dataclass
class ExportResult:
    directory: Path
    counts: dict[str, int]


def published_listings(progress: Callable[[Iterable[str]], Iterator[str]] | None = None) -> Iterator[Listing]:
    """Every published listing with its details, in HSDS id order, loaded in batches."""
    ids = list(db.session.scalars(select(Listing.hsds_id).where(*filter_clauses(SearchQuery()))
                                  .order_by(Listing.hsds_id)))
    batches = [ids[start:start + BATCH] for start in range(0, len(ids), BATCH)]
    for batch in batches:
        listings = {item.hsds_id: item for item in
                    db.session.scalars(_with_details(select(Listing).where(Listing.hsds_id.in_(batch)))).unique()}
        for hsds_id in (progress(batch) if progress else batch):
            yield listings[hsds_id]


def _prepare(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"Cannot create the export folder {directory}: {exc.strerror or exc}.") from None
    if not directory.is_dir():
        raise ExportError(f"{directory} exists and is not a folder; give a folder to export into.")


def export(directory: Path, progress: Callable[[Iterable[str]], Iterator[str]] | None = None) -> ExportResult:
    """Write services.json, datapackage.json and one CSV per table into directory."""
    directory = Path(directory)
    _prepare(directory)
    resources = table_resources()
    # Our vocabulary lives in code: a database seeded before a term was added (`seed --if-empty` skips
    # a directory that has listings) gets it here, so every fact attribute links to its term. Flushed,
    # not committed: the caller decides whether to keep it.
    seed_taxonomy()
    db.session.flush()
    terms = term_index()
    tables = Tables()
    for taxonomy in db.session.scalars(select(Taxonomy)):
        tables.add("taxonomy", mapping.taxonomy_to_hsds(taxonomy))
    for term in terms.values():
        tables.add("taxonomy_term", mapping.taxonomy_term_to_hsds(term))
    try:
        with open(directory / "services.json", "w", encoding="utf-8", newline="\n") as out:
            out.write("[")
            count = 0
            for listing in published_listings(progress):
                service = mapping.service_to_hsds(listing, terms, full=True)
                out.write(("," if count else "") + "\n" + json.dumps(service, ensure_ascii=False, indent=2))
                tables.add_service(service)
                count += 1
            out.write("\n]\n")
        for name in TABLES:
            _write_table(directory / resources[name]["path"], resources[name]["schema"]["fields"],
                         tables.rows[name])
        package = {"name": "support-directory-hsds", "title": "Support Directory listings as HSDS 3.0",
                   "profile": "tabular-data-package", "version": "3.0.0",
                   "resources": [resources[name] | {"encoding": "utf-8"} for name in TABLES]}
        (directory / "datapackage.json").write_text(json.dumps(package, ensure_ascii=False, indent=2) + "\n",
                                                    encoding="utf-8")
    except OSError as exc:
        raise ExportError(f"Cannot write the export into {directory}: {exc.strerror or exc}.") from None
    counts = {"service": count} | {name: len(tables.rows[name]) for name in TABLES if name != "service"}
    return ExportResult(directory, counts)


def _write_table(path: Path, fields: list[dict], rows: dict[str, dict]) -> None:
    names = [f["name"] for f in fields]
    types = {f["name"]: f.get("type", "string") for f in fields}
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(names)
        for key in sorted(rows):
            row = rows[key]
            writer.writerow([cell(row.get(name), types[name]) for name in names])
