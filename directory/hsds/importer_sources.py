"""Reading what `flask hsds-import PATH` is given, safely, into HSDS records for importer.py.

PATH is a JSON file (one service, a list, an HSDS page `{"contents": [...]}`, organizations with
their services nested, service_at_locations), a tabular data package folder (datapackage.json and
CSVs), or a zip of either. Everything is read into memory with limits, and zip members are never
written to disk, so a hostile zip can neither escape its folder (zip-slip) nor fill it (zip bomb).

A tabular package is put back together into the nested shape of services.json, so one reverse
mapping serves both. Each dict built from a CSV row carries where it came from (ORIGIN), so a
problem names the file and row it was found in. Problems and notes collect in a Report: reading
goes on after a problem, so the operator sees every one at once.
"""
from __future__ import annotations

import csv
import io
import json
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .export import BUNDLED_TABLES, NEUTRALISED_STARTS

MAX_FILE_BYTES = 512 * 2**20  # one JSON or CSV file (services.json of 10,000 listings is about 100 MB)
MAX_ZIP_BYTES = 1024 * 2**20  # everything read out of one zip
MAX_ZIP_MEMBERS = 500
# Real data (JSON, CSV) compresses maybe 20:1; a member far beyond that, and large, is a zip bomb.
MAX_RATIO, MAX_RATIO_FROM = 200, 10 * 2**20
# A key no JSON object can have (JSON keys are strings): where a record built from a CSV row came from.
ORIGIN = ("origin",)


@dataclass(frozen=True)
class Where:
    """A place in the input: a file, a row (CSV line or list item) and a field path."""
    file: str
    row: str = ""
    path: str = ""

    def at(self, name: str | int) -> Where:
        step = f"[{name}]" if isinstance(name, int) else (f".{name}" if self.path else name)
        return Where(self.file, self.row, self.path + step)

    def __str__(self) -> str:
        return ", ".join(part for part in (self.file, self.row, f"field {self.path}" if self.path else "") if part)


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    notes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def problem(self, where: Where, reason: str) -> None:
        self.problems.append(f"{where}: {reason}")

    def note(self, reason: str, where: Where | None = None) -> None:
        """Something kept as text, left out or filled in: the import goes on; grouped by reason."""
        self.notes[reason].append(str(where) if where else "")

    def note_lines(self, shown: int = 3) -> list[str]:
        lines = []
        for reason, places in self.notes.items():
            places = [p for p in places if p]
            if not places:
                lines.append(f"note: {reason}")
                continue
            more = f" and {len(places) - shown} more" if len(places) > shown else ""
            lines.append(f"note: {reason} ({len(places)}: {'; '.join(places[:shown])}{more})")
        return lines


def where_of(record: dict, fallback: Where) -> Where:
    return record.get(ORIGIN) or fallback


# -- files -------------------------------------------------------------------------------------------

class Files:
    """A folder's (or an open zip's) files by relative POSIX name, read on demand within the limits:
    only the files an import uses are ever unpacked."""

    def __init__(self, label: str, folder: Path | None = None, archive: zipfile.ZipFile | None = None,
                 members: dict[str, zipfile.ZipInfo] | None = None):
        self.label, self._folder, self._archive, self._members = label, folder, archive, members
        self._unpacked = 0

    def names(self) -> list[str]:
        if self._members is not None:
            return sorted(self._members)
        return sorted(p.relative_to(self._folder).as_posix() for p in self._folder.rglob("*") if p.is_file())

    def read(self, name: str, report: Report) -> bytes | None:
        where = Where(self.display(name))
        if self._members is not None:
            return self._unpack(name, where, report) if name in self._members else None
        path = self._folder / name
        if not path.is_file():
            return None
        if not path.resolve().is_relative_to(self._folder.resolve()):
            report.problem(where, "a link to a file outside the folder; not read")
            return None
        if path.stat().st_size > MAX_FILE_BYTES:
            report.problem(where, f"the file is larger than {MAX_FILE_BYTES // 2**20} MB")
            return None
        return path.read_bytes()

    def _unpack(self, name: str, where: Where, report: Report) -> bytes | None:
        try:
            with self._archive.open(self._members[name]) as member:  # sizes in the zip may lie: read to the limit
                data = member.read(MAX_FILE_BYTES + 1)
        except (zipfile.BadZipFile, OSError, NotImplementedError, EOFError, RuntimeError) as exc:
            report.problem(where, f"cannot be unpacked ({exc})")
            return None
        self._unpacked += len(data)
        if len(data) > MAX_FILE_BYTES or self._unpacked > MAX_ZIP_BYTES:
            report.problem(where, "unpacks to more than the limit (is the zip a zip bomb?); not read")
            return None
        return data

    def display(self, name: str) -> str:
        return f"{self.label}/{name}"


def _unsafe_member(name: str) -> bool:
    path = PurePosixPath(name)
    return (name.startswith(("/", "\\")) or "\\" in name or ".." in path.parts or ":" in path.parts[0]
            if path.parts else True)


def zip_files(archive: zipfile.ZipFile, label: str, report: Report) -> Files | None:
    """The open zip's files, once its table of contents passes: no unsafe names (zip-slip), not too
    many files, no encryption, and no member or total that would unpack beyond the limits or that
    is compressed beyond any real data's ratio (a zip bomb)."""
    infos = [info for info in archive.infolist() if not info.is_dir()]
    if len(infos) > MAX_ZIP_MEMBERS:
        report.problem(Where(label), f"the zip holds {len(infos)} files; at most {MAX_ZIP_MEMBERS} are accepted")
        return None
    declared = sum(info.file_size for info in infos)
    if declared > MAX_ZIP_BYTES:
        report.problem(Where(label), f"the zip would unpack to {declared} bytes; at most {MAX_ZIP_BYTES} are "
                                     "accepted (is it a zip bomb?)")
    for info in infos:
        where = Where(f"{label}/{info.filename}")
        if _unsafe_member(info.filename):
            report.problem(where, "a path that leaves the zip's folder (absolute, '..' or '\\'); nothing in this "
                                  "zip was read")
        elif info.flag_bits & 0x1:
            report.problem(where, "the file is encrypted")
        elif info.file_size > MAX_FILE_BYTES or (
                info.file_size > MAX_RATIO_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1)):
            report.problem(where, f"would unpack to {info.file_size} bytes from {info.compress_size} "
                                  "(is the zip a zip bomb?)")
    if report.problems:
        return None
    return Files(label, archive=archive, members=_strip_common_folder({info.filename: info for info in infos}))


def _strip_common_folder(members: dict) -> dict:
    """A zip of a folder holds `folder/datapackage.json`; read it as if zipped from inside."""
    tops = {name.split("/", 1)[0] for name in members}
    if len(tops) == 1 and all("/" in name for name in members):
        return {name.split("/", 1)[1]: member for name, member in members.items()}
    return members


NOT_JSON = object()  # what parse_json gives for input it reported (JSON's own null is None)


def parse_json(data: bytes, where: Where, report: Report):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        report.problem(where, f"not UTF-8 text (byte {data[exc.start]:#04x} at offset {exc.start})")
        return NOT_JSON
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        report.problem(Where(where.file, f"line {exc.lineno} column {exc.colno}"), f"not valid JSON: {exc.msg}")
    except ValueError as exc:  # e.g. a number with thousands of digits
        report.problem(where, f"not valid JSON: {exc}")
    except RecursionError:
        report.problem(where, "the JSON is nested too deeply")
    return NOT_JSON


# -- tabular data packages ----------------------------------------------------------------------------

def _bundled_tables() -> dict[str, dict]:
    tables = json.loads(BUNDLED_TABLES.read_text(encoding="utf-8"))["tables"]
    return {name: {"path": spec["path"], "types": dict(spec["fields"])} for name, spec in tables.items()}


def package_tables(files: Files, report: Report) -> dict[str, dict]:
    """{table name: {"path", "types"}} from datapackage.json, or the standard HSDS names when it
    is not a usable descriptor (the official example's is a bare pointer to another file)."""
    tables = _bundled_tables()
    data = files.read("datapackage.json", report)
    descriptor = None
    if data is not None:
        try:
            descriptor = json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            descriptor = None
    resources = descriptor.get("resources") if isinstance(descriptor, dict) else None
    if not isinstance(resources, list):
        report.note("datapackage.json is not a data package descriptor; the standard HSDS file names were used")
        return tables
    for resource in resources:
        if not isinstance(resource, dict) or resource.get("name") not in tables \
                or not isinstance(resource.get("path"), str):
            continue
        fields = (resource.get("schema") or {}).get("fields") or []
        types = {f["name"]: f.get("type", "string") for f in fields if isinstance(f, dict) and "name" in f}
        tables[resource["name"]] = {"path": resource["path"], "types": types or tables[resource["name"]]["types"]}
    return tables


def undo_neutralise(value: str) -> str:
    """Take off the ' that export.neutralise put before a cell a spreadsheet would run as a formula
    (or before one that starts with ' itself); any other leading ' is data and stays."""
    if len(value) > 1 and value[0] == "'" and value[1:].startswith(NEUTRALISED_STARTS):
        return value[1:]
    return value


def read_csv(data: bytes, file_label: str, types: dict[str, str], report: Report) -> list[dict]:
    """Rows as dicts (blank cells left out), each with its ORIGIN; string cells un-neutralised."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        report.problem(Where(file_label, f"row {line}"), f"not UTF-8 text (byte {data[exc.start]:#04x}); "
                                                         "save the file as UTF-8")
        return []
    if "\x00" in text:
        report.problem(Where(file_label), "contains NUL characters: not a CSV text file")
        return []
    rows = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            return []
        first_line = reader.line_num + 1
        for cells in reader:
            # The line the record starts on: a cell with line breaks (an accessibility note) spans several.
            where = Where(file_label, f"row {first_line}")
            first_line = reader.line_num + 1
            if len(cells) > len(header):
                report.problem(where, f"{len(cells)} cells but the header names {len(header)} columns")
                continue
            row = {name: (undo_neutralise(value) if types.get(name, "string") == "string" else value)
                   for name, value in zip(header, cells) if value != ""}
            row[ORIGIN] = where
            rows.append(row)
    except csv.Error as exc:
        report.problem(Where(file_label, f"row {reader.line_num}"), f"not valid CSV: {exc}")
    return rows


def read_package(files: Files, report: Report) -> dict[str, list[dict]]:
    """{table name: rows} for the tables we import; the others are named in a note."""
    tables = package_tables(files, report)
    rows = {}
    for name, spec in tables.items():
        rows[name] = []
        if _unsafe_member(spec["path"]):
            report.problem(Where(files.display("datapackage.json"), f"resource {name}", "path"),
                           f"{spec['path']} leaves the package's folder; not read")
            continue
        data = files.read(spec["path"], report)
        if data is not None:
            rows[name] = read_csv(data, files.display(spec["path"]), spec["types"], report)
    ours = {spec["path"] for spec in tables.values()} | {"datapackage.json", "services.json"}
    skipped = [name for name in files.names() if name.endswith(".csv") and name not in ours]
    if skipped:
        report.note(f"tables we do not store were not read: {', '.join(skipped)}")
    return rows


def tabular_json_rows(data: dict, label: str, report: Report) -> dict[str, list[dict]]:
    """The official tabular.json shape: {"services.csv": [row, ...], ...}."""
    paths = {spec["path"]: name for name, spec in _bundled_tables().items()}
    rows: dict[str, list[dict]] = {name: [] for name in paths.values()}
    skipped = [path for path in data if path not in paths]
    if skipped:
        report.note(f"tables we do not store were not read: {', '.join(skipped)}")
    for path, items in data.items():
        if path not in paths:
            continue
        if not isinstance(items, list):
            report.problem(Where(label, path), "must be a list of rows")
            continue
        for i, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                report.problem(Where(label, f"{path} row {i}"), "must be an object")
                continue
            rows[paths[path]].append({**{k: v for k, v in item.items() if v not in (None, "")},
                                      ORIGIN: Where(label, f"{path} row {i}")})
    return rows


def is_tabular_json(data) -> bool:
    return isinstance(data, dict) and bool(data) and all(isinstance(k, str) and k.endswith(".csv") for k in data)


# -- a package's rows, nested as services.json nests them ----------------------------------------------

@dataclass
class Nested:
    """Services (nested like services.json), organizations, and the references a package leaves to
    rows outside it — (where, table, id) — for the importer to look up in the database."""
    services: list[dict] = field(default_factory=list)
    organizations: list[dict] = field(default_factory=list)
    outside: list[tuple[Where, str, str]] = field(default_factory=list)


def _index(rows: list[dict], report: Report) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for row in rows:
        key = row.get("id")
        if not isinstance(key, str) or not key.strip():
            report.problem(row[ORIGIN].at("id"), "missing: every row needs an id")
        elif key in found:
            report.problem(row[ORIGIN].at("id"), f"the id {key} is used twice (also at {found[key][ORIGIN]})")
        else:
            found[key] = row
    return found


def _by_parent(rows: list[dict], key: str, parents: dict[str, dict], parent_file: str, report: Report,
               what: str) -> dict[str, list[dict]]:
    """Rows grouped by their parent's id; a reference to no parent is a problem, no reference a note."""
    grouped: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        parent = row.get(key)
        if parent is None:
            report.note(f"{what} rows without a {key} (not about a service) were not read", row[ORIGIN])
        elif parent not in parents:
            report.problem(row[ORIGIN].at(key), f"refers to {parent}, which is not in {parent_file}")
        else:
            grouped[parent].append(row)
    return grouped


def nest(rows: dict[str, list[dict]], report: Report) -> Nested:
    index = {name: _index(table_rows, report) for name, table_rows in rows.items()}
    services, organizations, locations = index["service"], index["organization"], index["location"]
    taxonomies, terms = index["taxonomy"], index["taxonomy_term"]
    nested = Nested()
    for term in terms.values():
        taxonomy_id = term.get("taxonomy_id")
        if taxonomy_id is not None and taxonomy_id in taxonomies:
            term["taxonomy_detail"] = taxonomies[taxonomy_id]
        elif taxonomy_id is not None:
            nested.outside.append((term[ORIGIN].at("taxonomy_id"), "taxonomy", taxonomy_id))
    addresses = _by_parent(rows["address"], "location_id", locations, "locations.csv", report, "address")
    for location_id, location in locations.items():
        location["addresses"] = addresses.get(location_id, [])
        org_id = location.get("organization_id")
        if org_id is not None and org_id not in organizations:
            nested.outside.append((location[ORIGIN].at("organization_id"), "organization", org_id))
    children = {name: _by_parent(rows[table], "service_id", services, "services.csv", report, table)
                for name, table in (("phones", "phone"), ("schedules", "schedule"), ("languages", "language"),
                                    ("service_areas", "service_area"), ("service_at_locations", "service_at_location"))}
    for sal in rows["service_at_location"]:
        location_id = sal.get("location_id")
        if location_id in locations:
            sal["location"] = locations[location_id]
        else:
            report.problem(sal[ORIGIN].at("location_id"), f"refers to {location_id}, which is not in locations.csv"
                           if location_id else "missing: a service_at_location needs a location_id")
    attributes = _service_attributes(rows["attribute"], services, {**organizations, **locations}, terms, report,
                                     nested)
    used_organizations = set()
    for service_id, service in services.items():
        for name, grouped in children.items():
            service[name] = grouped.get(service_id, [])
        service["attributes"] = attributes.get(service_id, [])
        org_id = service.get("organization_id")
        if org_id in organizations:
            service["organization"] = organizations[org_id]
            used_organizations.add(org_id)
        nested.services.append(service)
    nested.organizations = [org for key, org in organizations.items() if key not in used_organizations]
    return nested


def _service_attributes(rows, services, other_owners, terms, report, nested) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        link_id = row.get("link_id")
        if link_id in services:
            grouped[link_id].append(row)
        elif link_id in other_owners:
            report.note("attributes of organizations and locations were not read", row[ORIGIN])
            continue
        else:
            report.problem(row[ORIGIN].at("link_id"), f"refers to {link_id}, which is not a service, organization "
                                                      "or location in this package" if link_id
                           else "missing: an attribute needs the link_id of its service")
            continue
        term_id = row.get("taxonomy_term_id")
        if term_id in terms:
            row["taxonomy_term"] = terms[term_id]
        elif term_id is not None:
            nested.outside.append((row[ORIGIN].at("taxonomy_term_id"), "taxonomy_term", term_id))
    return grouped


# Keys that mark an HSDS object holding no service or organization (a taxonomy, term, location, API root).
NOT_DATA = ("code", "taxonomy", "taxonomy_id", "term_uri", "location_type", "openapi_url", "version")


# -- what PATH is ---------------------------------------------------------------------------------

def read_input(path: Path, report: Report) -> Nested:
    if path.is_dir():
        return _read_files(Files(path.name or str(path), folder=path), report)
    if zipfile.is_zipfile(path) or path.suffix.lower() == ".zip":
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            report.problem(Where(path.name), f"not a readable zip file ({exc})")
            return Nested()
        with archive:
            files = zip_files(archive, path.name, report)
            return _read_files(files, report) if files is not None else Nested()
    if path.suffix.lower() == ".csv":
        report.problem(Where(path.name), "one CSV file is not a data package: give the folder (or a zip of it) "
                                         "that holds datapackage.json and the CSV tables")
        return Nested()
    if path.stat().st_size > MAX_FILE_BYTES:
        report.problem(Where(path.name), f"the file is larger than {MAX_FILE_BYTES // 2**20} MB")
        return Nested()
    data = parse_json(path.read_bytes(), Where(path.name), report)
    return nest_json(data, path.name, report) if data is not NOT_JSON else Nested()


def _read_files(files: Files, report: Report) -> Nested:
    names = files.names()
    if "datapackage.json" in names or any(name.endswith(".csv") for name in names):
        return nest(read_package(files, report), report)
    json_files = [name for name in names if name.endswith(".json")]
    if len(json_files) != 1:
        report.problem(Where(files.label), "holds neither a datapackage.json with CSV tables nor one JSON file")
        return Nested()
    data = parse_json(files.read(json_files[0], report) or b"", Where(files.display(json_files[0])), report)
    return nest_json(data, files.display(json_files[0]), report) if data is not NOT_JSON else Nested()


def nest_json(data, label: str, report: Report) -> Nested:
    """Services and organizations from any JSON shape we accept (see the module docstring)."""
    if is_tabular_json(data):
        return nest(tabular_json_rows(data, label, report), report)
    if isinstance(data, dict) and "contents" in data and not isinstance(data["contents"], list):
        report.problem(Where(label, "", "contents"), "must be a list (of services or organizations)")
        return Nested()
    single = isinstance(data, dict) and not isinstance(data.get("contents"), list)
    items = [data] if single else (data["contents"] if isinstance(data, dict) else data)
    if not isinstance(items, list):
        report.problem(Where(label), "must be a service, an organization, a list of them or a page of them")
        return Nested()
    nested = Nested()
    for i, item in enumerate(items, start=1):
        where = Where(label, "" if single else f"item {i}")
        if not isinstance(item, dict):
            report.problem(where, "must be an object (a service or an organization)")
        elif isinstance(item.get("services"), list):
            nested.organizations.append({**item, ORIGIN: where})
            for j, service in enumerate(item["services"]):
                if isinstance(service, dict):
                    nested.services.append({**service, "organization": item, ORIGIN: where.at("services").at(j)})
                else:
                    report.problem(where.at("services").at(j), "must be an object (a service)")
        elif isinstance(item.get("service"), dict):  # a service_at_location with its service
            service = {**item["service"], ORIGIN: where.at("service")}
            if isinstance(item.get("location"), dict):
                sal = {"id": item.get("id"), "location": item["location"]}
                service["service_at_locations"] = [sal] + [s for s in service.get("service_at_locations") or []
                                                           if isinstance(s, dict) and s.get("id") != item.get("id")]
            nested.services.append(service)
        elif any(key in item for key in ("status", "organization", "organization_id")):
            nested.services.append({**item, ORIGIN: where})
        elif any(key in item for key in NOT_DATA):
            report.note("holds no services or organizations (a taxonomy, term, location or API description); "
                        "nothing from it was imported", where)
        else:
            nested.organizations.append({**item, ORIGIN: where})
    return nested
