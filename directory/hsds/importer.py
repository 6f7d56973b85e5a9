"""HSDS 3.0 into the directory (`flask hsds-import PATH`): the reverse of mapping.py.

importer_sources.py reads the input into nested HSDS services; this module checks every record
against our model (required fields, types, lengths, vocabulary codes), collects EVERY problem with
its file, row and field, and only when there are none lets importer_write.py write, in one
transaction: all or nothing.

Decisions, and why:
- Idempotent by HSDS id: a record whose id we hold updates that row (its phones, schedules, codes
  and locations are replaced by the file's), so a second run never duplicates anything.
- Our own taxonomy is seeded first (seeding.seed_taxonomy, stable ids), so attributes that point at
  our terms resolve in an empty database too, and an export after an import lists the same terms.
- Facts HSDS has no field for come as attributes naming the fact (link_type, or our license_fact /
  listing_fact term) with the value as text: checked like the form would (yes/no, web address,
  length), and a listing fact the file does not give is cleared (is_demo false), so the file says
  what the listing says, as for its phones and codes.
- A term outside our vocabulary (another taxonomy's, or an unknown code in one of our fields) is
  not dropped and not forced into a vocabulary column: the listing keeps the attribute as it came
  (`Listing.other_terms`, JSON) and mapping.other_term_to_hsds writes it back out unchanged, so
  the facts travel on to the next directory. Vocabulary columns and codes hold only our codes,
  because search, forms and guidance rely on them.
- What HSDS allows but we cannot hold (a service area that is not a US state, a location with no
  usable coordinates or US ZIP code, fields we have no column for) is left out with a note; where
  it is harmless it is kept as text (schedule notes go into the schedule's description). A value
  that breaks our limits (too long, a bad date, a wrong type) is a problem: nothing is written.
- Imported listings wait for a moderator (`pending`, with a revision in the review queue) unless an
  active admin named with --as passes --approve. Audit rows hold ids only.
- `last_modified` becomes `updated_at` and `assured_date` `last_verified`, so exporting what was
  imported gives back the same bytes (tests/test_hsds_import.py checks the round trip).
Messages are for operators at a terminal, so they are plain English, not translated.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Boolean, select
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..geo import GeoError, lookup_zip
from ..models import Listing, Location, Organization, Phone, Schedule, Taxonomy, TaxonomyTerm, utcnow
from ..seeding import FACT_TERMS, seed_taxonomy
from ..vocabulary import ALL_FIELDS, MULTI_FIELDS, NATIONWIDE, SERVICE_STATUS, STATES
from . import importer_sources as sources
from .importer_sources import ORIGIN, Report, Where, where_of
from .importer_write import ImportRefused, ImportResult, actor_for, check_ownership, check_references, write
from .mapping import LICENSE_LINK_TYPES, LISTING_FACT_LINK_TYPES, OTHER_TAXONOMY_KEYS, OTHER_TERM_KEYS, ZONE_NOTE

TEXT_MAX = 20_000  # for Text columns: no description needs more, and huge strings are refused
TERM_TEXT_MAX = 1_000  # a code or a kept term's value; a listing fact's value may be as long as its column
WEB_ADDRESS = re.compile(r"^https?://[^\s/]+", re.IGNORECASE)
URL_FACTS = ("privacy_policy_url",)
BYDAY_TOKEN = re.compile(r"^(-?[1-5])?(MO|TU|WE|TH|FR|SA|SU)$")
LANGUAGE_CODE = re.compile(r"^[a-z]{2}$")
MARKUP = re.compile(r"<\s*/?\s*[A-Za-z!][^>]*>")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
ZONE_SENTENCE = re.compile("^" + re.escape(ZONE_NOTE).replace(re.escape("{zone}"), r"([A-Za-z0-9_+\-/]+)") + "$")
# HSDS fields we read; any other field is named once in a note (we have no column for it).
READ_FIELDS = {
    "service": {"id", "name", "description", "url", "email", "status", "application_process", "fees_description",
                "assured_date", "last_modified", "organization", "organization_id", "phones", "schedules",
                "service_areas", "languages", "service_at_locations", "attributes"},
    "organization": {"id", "name", "description", "email", "website", "services"},
    "phone": {"id", "service_id", "number", "extension", "type", "description"},
    "schedule": {"id", "service_id", "freq", "interval", "byday", "opens_at", "closes_at", "timezone",
                 "description", "notes"},
    "location": {"id", "location_type", "organization_id", "name", "latitude", "longitude", "addresses"},
    "address": {"id", "location_id", "address_1", "city", "state_province", "postal_code", "country",
                "address_type"},
}


class ImportFailed(Exception):
    def __init__(self, report: Report):
        super().__init__(f"{len(report.problems)} problems")
        self.report = report


# Single-valued codes and counselor facts a listing may be without (kind, session_format and cost
# get defaults in Planner._defaults).
OPTIONAL_SINGLE_COLUMNS = ("moderation", "online_mode", "membership", "license_type", "license_number",
                           "license_state", "accepting_clients")


def limit(model, column: str) -> int:
    return getattr(model.__table__.c[column].type, "length", None) or TEXT_MAX


# -- checking values --------------------------------------------------------------------------------------

class Checker:
    """Reads typed values out of one record, reporting each problem at its field."""

    def __init__(self, record: dict, where: Where, report: Report):
        self.record, self.where, self.report = record, where, report

    def problem(self, key: str, reason: str) -> None:
        self.report.problem(self.where.at(key), reason)

    def text(self, key: str, max_length: int, required: bool = False, numbers_ok: bool = False) -> str | None:
        value = self.record.get(key)
        if value is None or value == "":
            if required:
                self.problem(key, "missing: this field is required")
            return None
        if numbers_ok and isinstance(value, (int, float)) and not isinstance(value, bool) \
                and math.isfinite(value) and float(value).is_integer():
            value = str(int(value))  # a ZIP code or an extension given as a JSON number reads as its digits
        if not isinstance(value, str):
            self.problem(key, f"must be text, not {type(value).__name__}")
            return None
        if len(value) > max_length:
            self.problem(key, f"is {len(value)} characters long; at most {max_length} fit")
            return None
        if CONTROL.search(value):
            self.problem(key, "contains control characters (such as NUL); give plain text")
            return None
        if MARKUP.search(value):
            self.report.note("text with HTML markup was kept as plain text (pages show it as typed, never as HTML)",
                             self.where.at(key))
        return value

    def ident(self, key: str = "id", required: bool = True, max_length: int = 36) -> str | None:
        value = self.text(key, max_length, required)
        if value is not None and (value != value.strip() or not value):
            self.problem(key, "an id must not start or end with spaces")
            return None
        return value

    def url(self, key: str, max_length: int) -> str | None:
        value = self.text(key, max_length)
        if value is not None and not WEB_ADDRESS.match(value):
            self.problem(key, "must be a web address starting with http:// or https://")
            return None
        return value

    def email(self, key: str, max_length: int) -> str | None:
        value = self.text(key, max_length)
        if value is not None and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", value):
            self.problem(key, "must be an email address like name@example.org")
            return None
        return value

    def choice(self, key: str, choices: Iterable[str], required: bool = False) -> str | None:
        value = self.text(key, 100, required)
        if value is not None and value not in choices:
            self.problem(key, f"{value!r} is not one of: {', '.join(choices)}")
            return None
        return value

    def number(self, key: str, low: float, high: float, whole: bool = False) -> float | int | None:
        value = self.record.get(key)
        if value is None or value == "":
            return None
        try:
            if isinstance(value, bool) or not isinstance(value, (int, float, str)) or len(str(value)) > 30:
                raise ValueError
            number = float(value)
            if not math.isfinite(number) or (whole and not number.is_integer()):
                raise ValueError
        except ValueError:
            self.problem(key, "must be a whole number" if whole else "must be a number")
            return None
        if not low <= number <= high:
            self.problem(key, f"{value} is out of range ({low:g} to {high:g})")
            return None
        return int(number) if whole else number

    def date(self, key: str) -> date | None:
        value = self.text(key, 40)
        if value is None:
            return None
        try:
            if len(value) != 10:
                raise ValueError
            return date.fromisoformat(value)
        except ValueError:
            self.problem(key, "must be a date like 2026-01-31")
            return None

    def moment(self, key: str) -> datetime | None:
        value = self.text(key, 40)
        if value is None:
            return None
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            self.problem(key, "must be a date-time like 2026-01-31T12:00:00Z")
            return None
        return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment

    def clock(self, key: str) -> time | None:
        value = self.text(key, 15)
        try:
            return time.fromisoformat(value).replace(tzinfo=None) if value is not None else None
        except ValueError:
            self.problem(key, "must be a time like 18:30")
            return None

    def records(self, key: str) -> list[tuple[dict, Where]]:
        """The list of objects under key, each with where it is (its CSV row when it came from one)."""
        value = self.record.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(key, "must be a list")
            return []
        found = []
        for i, item in enumerate(value):
            if isinstance(item, dict):
                found.append((item, where_of(item, self.where.at(key).at(i))))
            else:
                self.report.problem(self.where.at(key).at(i), "must be an object")
        return found

    def note_unread(self, kind: str) -> None:
        unread = sorted(key for key in self.record if isinstance(key, str) and key not in READ_FIELDS[kind]
                        and self.record[key] not in (None, "", [], {}))
        if unread:
            self.report.note(f"{kind} fields we have no place for were not imported: {', '.join(unread)}")


# -- one service as the listing it becomes -------------------------------------------------------------------

@dataclass
class ServicePlan:
    where: Where
    hsds_id: str
    organization_id: str | None
    columns: dict = field(default_factory=dict)
    codes: dict[str, list[str]] = field(default_factory=dict)
    other_terms: list[dict] = field(default_factory=list)
    phones: list[dict] = field(default_factory=list)
    schedules: list[dict] = field(default_factory=list)
    locations: list[tuple[str, dict]] = field(default_factory=list)  # (service_at_location id, location)

    def add_code(self, field_name: str, code: str) -> None:
        self.codes.setdefault(field_name, [])
        if code not in self.codes[field_name]:
            self.codes[field_name].append(code)


class Terms:
    """Our taxonomy's terms, by HSDS id and by (field, code)."""

    def __init__(self):
        terms = list(db.session.scalars(select(TaxonomyTerm)))
        self.by_id = {t.hsds_id: t for t in terms}
        self.taxonomy_ids = set(db.session.scalars(select(Taxonomy.hsds_id)))


class Planner:
    def __init__(self, report: Report, terms: Terms):
        self.report, self.terms = report, terms
        self.organizations: dict[str, dict] = {}
        self.seen: dict[str, dict[str, Where]] = {"service": {}, "phone": {}, "schedule": {}, "service_at_location": {}}

    def unique(self, table: str, key: str | None, where: Where) -> bool:
        if key is None:
            return False
        if key in self.seen[table]:
            self.report.problem(where.at("id"), f"the {table} id {key} is used twice (also at {self.seen[table][key]})")
            return False
        self.seen[table][key] = where
        return True

    def organization(self, data, where: Where) -> str | None:
        if not isinstance(data, dict):
            self.report.problem(where, "an organization must be an object")
            return None
        check = Checker(data, where_of(data, where), self.report)
        key = check.ident()
        if key is None or key in self.organizations:
            return key
        check.note_unread("organization")
        columns = {"hsds_id": key, "name": check.text("name", limit(Organization, "name"), required=True),
                   "description": check.text("description", TEXT_MAX) or "",
                   "website": check.url("website", limit(Organization, "website")),
                   "email": check.email("email", limit(Organization, "email"))}
        self.organizations[key] = columns
        return key

    def service(self, data: dict, where: Where) -> ServicePlan | None:
        check = Checker(data, where, self.report)
        key = check.ident()
        if key is not None and not self.unique("service", key, where):
            return None  # a second copy: its own problems would only repeat the first's
        check.note_unread("service")
        org_id = self._service_organization(data, check)
        plan = ServicePlan(where, key, org_id)
        plan.columns = {
            "name": check.text("name", limit(Listing, "name"), required=True),
            "description": check.text("description", TEXT_MAX) or "",
            "url": check.url("url", limit(Listing, "url")), "email": check.email("email", limit(Listing, "email")),
            "service_status": check.choice("status", SERVICE_STATUS, required=True),
            "how_to_join": check.text("application_process", TEXT_MAX),
            "cost_details": check.text("fees_description", TEXT_MAX),
            "last_verified": check.date("assured_date"), "updated_at": check.moment("last_modified") or utcnow(),
        }
        for item, item_where in check.records("attributes"):
            self._attribute(plan, item, item_where)
        # What the file does not state is cleared, so a re-import leaves no old value behind; the
        # columns a listing cannot be without get defaults (with a note) instead.
        for name in (*LISTING_FACT_LINK_TYPES, *OPTIONAL_SINGLE_COLUMNS):
            plan.columns.setdefault(name, False if name == "is_demo" else None)
        self._defaults(plan)
        plan.phones = [p for p in (self._phone(i, w) for i, w in check.records("phones")) if p]
        plan.schedules = [s for s in (self._schedule(i, w) for i, w in check.records("schedules")) if s]
        for item, item_where in check.records("languages"):
            self._language(plan, item, item_where)
        for item, item_where in check.records("service_areas"):
            self._service_area(plan, item, item_where)
        for item, item_where in check.records("service_at_locations"):
            self._service_at_location(plan, item, item_where)
        return plan if key is not None else None

    def _service_organization(self, data: dict, check: Checker) -> str | None:
        if data.get("organization") is not None:
            return self.organization(data["organization"], check.where.at("organization"))
        key = check.ident("organization_id", required=False)
        if key is None:
            check.problem("organization_id", "missing: a service needs its organization (organization_id or a "
                                             "nested organization)")
        return key

    # -- attributes: our vocabulary, counselor facts, or other terms kept as they came

    def _attribute(self, plan: ServicePlan, data: dict, where: Where) -> None:
        check = Checker(data, where, self.report)
        link_type = check.text("link_type", TERM_TEXT_MAX)
        value = check.text("value", TEXT_MAX)
        term_id = check.ident("taxonomy_term_id", required=False, max_length=100)
        nested_term = data.get("taxonomy_term") if isinstance(data.get("taxonomy_term"), dict) else None
        term_id = term_id or (nested_term or {}).get("id")
        ours = self.terms.by_id.get(term_id) if isinstance(term_id, str) else None
        if ours is None:
            field_name, code = link_type, value
        elif ours.field in FACT_TERMS:  # the term names the fact; the value is the fact
            field_name, code = ours.code, value
        else:
            field_name, code = ours.field, ours.code
        if field_name in LISTING_FACT_LINK_TYPES:
            if code is not None:  # no value: the listing does not say (the default)
                self._listing_fact(plan, field_name, code, check)
            return
        if value is not None and len(value) > TERM_TEXT_MAX:
            check.problem("value", f"is {len(value)} characters long; at most {TERM_TEXT_MAX} fit")
            return
        if field_name in LICENSE_LINK_TYPES and code is not None:
            self._license_fact(plan, field_name, code, check)
        elif field_name in ALL_FIELDS and code is not None and self._known_code(field_name, code):
            self._our_code(plan, field_name, code, check)
        else:
            self._other_term(plan, data, check, link_type, value, term_id, nested_term)

    @staticmethod
    def _known_code(field_name: str, code: str) -> bool:
        return code in ALL_FIELDS[field_name] or (field_name == "language" and bool(LANGUAGE_CODE.match(code)))

    def _our_code(self, plan: ServicePlan, field_name: str, code: str, check: Checker) -> None:
        if field_name in MULTI_FIELDS:
            plan.add_code(field_name, code)
        elif plan.columns.get(field_name) not in (None, code):
            check.problem("value", f"a listing has one {field_name}; this service gives both "
                                   f"{plan.columns[field_name]} and {code}")
        else:
            plan.columns[field_name] = code

    def _license_fact(self, plan: ServicePlan, fact: str, value: str, check: Checker) -> None:
        if fact == "license_number":
            if len(value) > limit(Listing, "license_number"):
                check.problem("value", f"a license number has at most {limit(Listing, 'license_number')} characters")
            else:
                plan.columns["license_number"] = value
        elif fact in ("license_state", "telehealth_state") and value not in STATES:
            check.problem("value", f"{value!r} is not a US state code (like IL)")
        elif fact == "license_state":
            plan.columns["license_state"] = value
        elif fact == "telehealth_state":
            plan.add_code("service_area", value)
        elif value.lower() in ("true", "false"):
            plan.columns["accepting_clients"] = value.lower() == "true"
        else:
            check.problem("value", "accepting_clients must be true or false")

    def _listing_fact(self, plan: ServicePlan, fact: str, value: str, check: Checker) -> None:
        """One of a listing's facts HSDS has no field for, checked as our model holds it."""
        if isinstance(Listing.__table__.c[fact].type, Boolean):
            if value.lower() not in ("true", "false"):
                check.problem("value", f"{fact} must be true or false, not {value[:40]!r}")
                return
            typed = value.lower() == "true"
        elif len(value) > limit(Listing, fact):
            check.problem("value", f"{fact} is {len(value)} characters long; at most {limit(Listing, fact)} fit")
            return
        elif fact in URL_FACTS and not WEB_ADDRESS.match(value):
            check.problem("value", f"{fact} must be a web address starting with http:// or https://")
            return
        else:
            typed = value
        if plan.columns.get(fact) not in (None, typed):
            check.problem("value", f"a listing has one {fact}; this service gives two different ones")
            return
        plan.columns[fact] = typed

    def _other_term(self, plan, data, check, link_type, value, term_id, nested_term) -> None:
        attribute_id = check.ident(max_length=100)
        if attribute_id is None:
            return
        entry = {"id": attribute_id, "link_type": link_type, "value": value}
        if term_id is not None:
            term, taxonomy = self._foreign_term(nested_term or {"id": term_id}, check.where.at("taxonomy_term"))
            entry["term"] = term
            if taxonomy:
                entry["taxonomy"] = taxonomy
        plan.other_terms.append({key: val for key, val in entry.items() if val is not None})
        known_field = link_type in ALL_FIELDS
        self.report.note("codes outside our vocabulary were kept as other terms (exported again as attributes, "
                         "not searchable)" if known_field else
                         "terms of other taxonomies were kept as other terms (exported again as attributes)",
                         check.where)

    def _foreign_term(self, term: dict, where: Where) -> tuple[dict, dict | None]:
        check = Checker(term, where_of(term, where), self.report)
        kept = {key: check.text(key, TERM_TEXT_MAX) for key in OTHER_TERM_KEYS if key not in ("id", "taxonomy_id")}
        kept["id"] = check.ident(max_length=100)
        detail = term.get("taxonomy_detail")
        taxonomy = None
        if isinstance(detail, dict):
            detail_check = Checker(detail, where_of(detail, where.at("taxonomy_detail")), self.report)
            taxonomy = {key: detail_check.text(key, TERM_TEXT_MAX) for key in OTHER_TAXONOMY_KEYS}
            taxonomy = {key: val for key, val in taxonomy.items() if val is not None}
            # The term's taxonomy_id is kept only with the taxonomy it names, so the export's keys resolve.
            kept["taxonomy_id"] = taxonomy.get("id")
        return {key: val for key, val in kept.items() if val is not None}, taxonomy or None

    def _defaults(self, plan: ServicePlan) -> None:
        """Columns a listing cannot be without, for services that do not use our vocabulary."""
        columns = plan.columns
        if not columns.get("kind"):
            columns["kind"] = "support_program"
            self.report.note("services without a kind code were imported as support_program: check before "
                             "approving", plan.where)
        if not columns.get("session_format"):
            columns["session_format"] = "one_on_one" if columns["kind"] == "counseling" else "group"
            self.report.note("services without a session_format code were imported as group (counseling as "
                             "one_on_one): check before approving", plan.where)
        if not columns.get("cost"):
            columns["cost"] = "free"
            self.report.note("services without a cost code were imported as free (the listing default): check "
                             "before approving", plan.where)

    # -- the parts of a service

    def _phone(self, data: dict, where: Where) -> dict | None:
        check = Checker(data, where, self.report)
        key = check.ident()
        if not self.unique("phone", key, where):
            return None
        check.note_unread("phone")
        extension = check.text("extension", limit(Phone, "extension"), numbers_ok=True)
        return {"hsds_id": key, "number": check.text("number", limit(Phone, "number"), required=True),
                "extension": extension, "type": check.text("type", limit(Phone, "type")) or "voice",
                "description": check.text("description", limit(Phone, "description"))}

    def _schedule(self, data: dict, where: Where) -> dict | None:
        check = Checker(data, where, self.report)
        key = check.ident()
        if not self.unique("schedule", key, where):
            return None
        check.note_unread("schedule")
        byday = check.text("byday", limit(Schedule, "byday")) or ""
        if any(not BYDAY_TOKEN.match(token.strip()) for token in byday.split(",") if byday):
            check.problem("byday", "must be days like MO,TH or 1TU (iCalendar BYDAY)")
        description = check.text("description", TEXT_MAX)
        zone, notes = self._zone(check)
        if notes:  # harmless and useful: kept as text rather than dropped
            description = f"{description}\n\n{notes}" if description else notes
        return {"hsds_id": key, "freq": check.choice("freq", ("WEEKLY", "MONTHLY")) or "",
                "interval": check.number("interval", 1, 366, whole=True) or 1, "byday": byday,
                "opens_at": check.clock("opens_at"), "closes_at": check.clock("closes_at"), "timezone": zone,
                "description": description}

    def _zone(self, check: Checker) -> tuple[str | None, str | None]:
        """The IANA zone: from our notes sentence, else a whole-hour offset as an Etc/GMT zone."""
        notes = check.text("notes", TEXT_MAX)
        match = ZONE_SENTENCE.match(notes or "")
        if match and _valid_zone(match.group(1)):
            return match.group(1), None
        offset = check.number("timezone", -12, 14)
        if offset is not None and float(offset).is_integer():
            # POSIX Etc zones count the other way: UTC+3 is Etc/GMT-3.
            return ("Etc/GMT" + (f"{-int(offset):+d}" if offset else "")), notes
        if offset is not None:
            self.report.note("schedule time zones that are not a whole number of hours were left out", check.where)
        return None, notes

    def _language(self, plan: ServicePlan, data: dict, where: Where) -> None:
        code = Checker(data, where, self.report).text("code", 20)
        if code is not None and LANGUAGE_CODE.match(code):
            plan.add_code("language", code)
        else:
            self.report.note("languages without a two-letter ISO 639-1 code were left out", where)

    def _service_area(self, plan: ServicePlan, data: dict, where: Where) -> None:
        name = Checker(data, where, self.report).text("name", TEXT_MAX)
        if name is not None and (name in STATES or name == NATIONWIDE):
            plan.add_code("service_area", name)
        else:
            self.report.note("service areas that are not a US state code or US (nationwide) were left out", where)

    def _service_at_location(self, plan: ServicePlan, data: dict, where: Where) -> None:
        check = Checker(data, where, self.report)
        key = check.ident()
        location = data.get("location")
        if not isinstance(location, dict):
            self.report.note("service_at_locations without their location were left out", where)
            return
        place = self._location(location, where_of(location, where.at("location")))
        if place is not None and self.unique("service_at_location", key, where):
            plan.locations.append((key, place))

    def _location(self, data: dict, where: Where) -> dict | None:
        check = Checker(data, where, self.report)
        key = check.ident()
        check.note_unread("location")
        addresses = [item for item, _ in check.records("addresses")]
        address = next((a for a in addresses if a.get("address_type") == "physical"), addresses[0] if addresses else {})
        address_check = Checker(address, where_of(address, where.at("addresses").at(0)), self.report)
        place = {"hsds_id": key, "name": check.text("name", limit(Location, "name")) or "",
                 "address_1": address_check.text("address_1", limit(Location, "address_1")) or "",
                 "city": address_check.text("city", limit(Location, "city")) or "",
                 "state": address_check.text("state_province", TEXT_MAX) or "",
                 "postal_code": address_check.text("postal_code", limit(Location, "postal_code"),
                                                   numbers_ok=True) or ""}
        lat, lon = check.number("latitude", -math.inf, math.inf), check.number("longitude", -math.inf, math.inf)
        centroid = None
        if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            centroid = _zip_centroid(place["postal_code"])
            if centroid is None:
                self.report.note("locations without valid coordinates or a US ZIP code cannot be put on the map "
                                 "and were left out", where)
                return None
            lat, lon = centroid.lat, centroid.lon
        if place["state"] not in STATES:
            centroid = centroid or _zip_centroid(place["postal_code"])
            if place["state"]:
                self.report.note("address states that are not a US state code were replaced by the ZIP code's "
                                 "state, or left blank", where)
            place["state"] = centroid.state if centroid is not None else ""
        return place | {"latitude": lat, "longitude": lon}


def _valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return len(name) <= limit(Schedule, "timezone")


def _zip_centroid(postal_code: str):
    if not re.match(r"^\d{5}(-\d{4})?$", postal_code or ""):
        return None
    try:
        return lookup_zip(postal_code[:5])
    except GeoError:
        return None


# -- the command's work --------------------------------------------------------------------------------------------

def import_path(path: Path, *, approve: bool = False, actor_email: str | None = None, dry_run: bool = False,
                progress: Callable[[Iterable], Iterator] | None = None) -> ImportResult:
    """Import everything at path, or nothing: raises ImportFailed with every problem found."""
    path = Path(path)
    if not path.exists():
        raise ImportRefused(f"{path} does not exist.")
    if not (path.is_dir() or path.is_file()):
        raise ImportRefused(f"{path} is neither a file nor a folder.")
    actor = actor_for(actor_email, approve)
    report = Report()
    nested = sources.read_input(path, report)
    seed_taxonomy()  # ours, with stable ids: attributes that point at our terms must find them
    db.session.flush()
    planner = Planner(report, Terms())
    for org in nested.organizations:
        planner.organization(org, where_of(org, Where(path.name)))
    plans = [plan for plan in (planner.service(service, service[ORIGIN]) for service in nested.services) if plan]
    check_references(nested, plans, planner, report)
    check_ownership(plans, report)
    if report.problems:
        db.session.rollback()
        raise ImportFailed(report)
    try:
        result = write(plans, planner, actor, approve, progress)
    except SQLAlchemyError as exc:  # a rule the checks above missed: still nothing written, no traceback
        db.session.rollback()
        report.problem(Where(path.name), f"the database refused the import: {getattr(exc, 'orig', exc)}")
        raise ImportFailed(report) from None
    result.notes, result.dry_run = report.note_lines(), dry_run
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    return result
