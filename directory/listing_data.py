"""A listing as plain field values: what the listing form edits, a revision stores and a review compares.

The values are a flat dict keyed by the listing form's field names (the
vocabulary's names), JSON-ready: text, codes, lists of codes, booleans or None,
times as "HH:MM". `values_of` reads them off a listing, `apply_values` writes
them onto one, `changes` lists what differs between two versions.

The form edits one phone, one schedule and one location; a listing that has
more (from seeds or an HSDS import) keeps the others untouched.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from babel.dates import get_day_names, get_timezone_name
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from . import vocabulary
from .extensions import db
from .models import Listing, Location, Phone, Schedule, ServiceAtLocation
from .presenters import ORDINALS
from .vocabulary import NATIONWIDE

FIELD_LABELS = {
    "name": _l("Name of the program or practice"),
    "kind": _l("What you offer"),
    "session_format": _l("Format"),
    "delivery": _l("How people take part"),
    "moderation": _l("Who leads or moderates it"),
    "online_mode": _l("How the online part works"),
    "membership": _l("Who can join"),
    "moderator_credentials": _l("Leaders' training or credentials"),
    "privacy_policy_url": _l("Privacy policy web address"),
    "records_sessions": _l("Are sessions recorded?"),
    "anonymity_allowed": _l("Can people take part without their real name?"),
    "medical_advice_policy": _l("Policy on medical advice"),
    "audience": _l("Who it is for"),
    "journey_stage": _l("Stage of the cancer journey"),
    "cancer_type": _l("Types of cancer"),
    "cost": _l("Cost"),
    "cost_details": _l("Cost details"),
    "languages": _l("Languages"),
    "how_to_join": _l("How to join"),
    "description": _l("Description"),
    "description_es": _l("Description in Spanish"),
    "url": _l("Website"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "freq": _l("How often it meets"),
    "week_of_month": _l("Which week of the month"),
    "byday": _l("Day of the week"),
    "opens_at": _l("Starts at"),
    "closes_at": _l("Ends at"),
    "timezone": _l("Time zone"),
    "address_1": _l("Street address"),
    "city": _l("City"),
    "state": _l("State"),
    "postal_code": _l("ZIP code"),
    "service_area": _l("States served"),
    "nationwide": _l("Serves people anywhere in the US"),
    "license_type": _l("License type"),
    "license_number": _l("License number"),
    "license_state": _l("State of license"),
    "telehealth_states": _l("Telehealth states"),
    "accepting_clients": _l("Accepting new clients?"),
}
FIELDS = tuple(FIELD_LABELS)

TEXT_FIELDS = ("name", "description", "description_es", "url", "email", "phone", "moderator_credentials",
               "privacy_policy_url", "medical_advice_policy", "cost_details", "how_to_join", "license_number",
               "address_1", "city", "postal_code")
LIST_FIELDS = ("delivery", "audience", "journey_stage", "cancer_type", "languages", "byday", "service_area",
               "telehealth_states")
YES_NO_FIELDS = ("records_sessions", "anonymity_allowed", "accepting_clients")
# Columns copied as they are between the values and the listing.
COLUMNS = ("name", "description", "description_es", "url", "email", "kind", "session_format", "moderation",
           "online_mode", "membership", "moderator_credentials", "privacy_policy_url", "records_sessions",
           "anonymity_allowed", "medical_advice_policy", "cost", "cost_details", "how_to_join", "license_type",
           "license_number", "license_state", "accepting_clients")
CODE_FIELDS = {"delivery": "delivery", "audience": "audience", "journey_stage": "journey_stage",
               "cancer_type": "cancer_type", "languages": "language"}
FREQUENCIES = {"weekly": "WEEKLY", "monthly": "MONTHLY"}
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WEEKS_OF_MONTH = ("1", "2", "3", "4", "-1")


def day_name(code: str) -> str:
    return get_day_names("wide", locale=get_locale())[DAYS.index(code)]


def blank_values() -> dict:
    values = {name: None for name in FIELDS}
    values.update({name: [] for name in LIST_FIELDS})
    values["nationwide"] = False
    return values


def _hhmm(value: time | None) -> str | None:
    return value.strftime("%H:%M") if value else None


def _schedule_values(schedule: Schedule | None) -> dict:
    if schedule is None:
        return {}
    days, week = [], None
    for token in (t.strip() for t in (schedule.byday or "").split(",") if t.strip()):
        day = token[-2:]
        if day in DAYS:
            days.append(day)
        if token[:-2] in WEEKS_OF_MONTH and week is None:
            week = token[:-2]
    freq = next((name for name, rrule in FREQUENCIES.items() if rrule == schedule.freq), None)
    return {"freq": freq, "byday": days, "week_of_month": week if freq == "monthly" else None,
            "opens_at": _hhmm(schedule.opens_at), "closes_at": _hhmm(schedule.closes_at),
            "timezone": schedule.timezone}


def values_of(listing: Listing) -> dict:
    """The form's values for what the listing holds now."""
    values = blank_values()
    values.update({name: getattr(listing, name) for name in COLUMNS})
    values.update({name: listing.codes_for(code_field) for name, code_field in CODE_FIELDS.items()})
    areas = [area for area in listing.service_area if area != NATIONWIDE]
    if listing.kind == "counseling":
        values["telehealth_states"] = areas
    else:
        values["service_area"] = areas
        values["nationwide"] = NATIONWIDE in listing.service_area
    values["phone"] = listing.phones[0].number if listing.phones else None
    values.update(_schedule_values(listing.schedules[0] if listing.schedules else None))
    if listing.locations:
        place = listing.locations[0]
        values.update(address_1=place.address_1, city=place.city, state=place.state, postal_code=place.postal_code,
                      latitude=place.latitude, longitude=place.longitude)
    return values


def tidy(values: dict) -> dict:
    """Drop what does not apply to this kind of listing, so it is neither stored nor reviewed."""
    values = {**blank_values(), **values}
    if values["kind"] != "counseling":
        values.update(license_type=None, license_number=None, license_state=None, telehealth_states=[],
                      accepting_clients=None)
    else:
        values.update(service_area=[], nationwide=False)
    if values["nationwide"]:
        values["service_area"] = []
    if values["freq"] != "monthly":
        values["week_of_month"] = None
    if not values["freq"]:
        values.update(byday=[], opens_at=None, closes_at=None, timezone=None, week_of_month=None)
    if not values["postal_code"]:
        values.update(address_1=None, city=None, state=None, latitude=None, longitude=None)
    return values


def _time(text: str | None) -> time | None:
    return time.fromisoformat(text) if text else None


def _apply_phone(listing: Listing, number: str | None) -> None:
    if number and listing.phones:
        listing.phones[0].number = number
    elif number:
        listing.phones.append(Phone(number=number))
    elif listing.phones:
        listing.phones.pop(0)


def _apply_schedule(listing: Listing, values: dict) -> None:
    if not values["freq"]:
        if listing.schedules:
            listing.schedules.pop(0)
        return
    prefix = (values["week_of_month"] or "") if values["freq"] == "monthly" else ""
    fields = {"freq": FREQUENCIES[values["freq"]], "interval": 1,
              "byday": ",".join(prefix + day for day in values["byday"]),
              "opens_at": _time(values["opens_at"]), "closes_at": _time(values["closes_at"]),
              "timezone": values["timezone"], "description": None}
    if listing.schedules:
        for name, value in fields.items():
            setattr(listing.schedules[0], name, value)
    else:
        listing.schedules.append(Schedule(**fields))


def _apply_location(listing: Listing, values: dict) -> None:
    if not values["postal_code"]:
        for link in list(listing.service_at_locations):
            listing.service_at_locations.remove(link)
            if link.location.id is not None:
                db.session.delete(link.location)
        return
    address = {"address_1": values["address_1"] or "", "city": values["city"] or "", "state": values["state"] or "",
               "postal_code": values["postal_code"], "latitude": values["latitude"],
               "longitude": values["longitude"]}
    if listing.service_at_locations:
        place = listing.service_at_locations[0].location
        for name, value in address.items():
            setattr(place, name, value)
    else:
        place = Location(organization_id=listing.organization_id, name="", **address)
        listing.service_at_locations.append(ServiceAtLocation(location=place))


SCHEDULE_VALUES = ("freq", "week_of_month", "byday", "opens_at", "closes_at", "timezone")
LOCATION_VALUES = ("address_1", "city", "state", "postal_code", "latitude", "longitude")


def apply_values(listing: Listing, values: dict) -> None:
    """Write the values onto the listing (its codes, first phone, schedule and location included).

    The form shows a simplified first phone, schedule and location (no schedule notes or interval,
    no place without a ZIP code), so each is rewritten only when the values change it: approving an
    imported or seeded listing as it stands must not lose what the form cannot show.
    """
    values = tidy(values)
    current = tidy(values_of(listing))
    unchanged = {part for part, names in (("phone", ("phone",)), ("schedule", SCHEDULE_VALUES),
                                          ("location", LOCATION_VALUES))
                 if all(values[name] == current[name] for name in names)}
    for name in COLUMNS:
        value = values[name]
        if name in ("description", "cost") and value is None:
            value = "" if name == "description" else "free"
        setattr(listing, name, value)
    for name, code_field in CODE_FIELDS.items():
        listing.set_codes(code_field, values[name])
    if values["kind"] == "counseling":
        listing.set_codes("service_area", values["telehealth_states"])
    else:
        listing.set_codes("service_area", [NATIONWIDE] if values["nationwide"] else values["service_area"])
    if "phone" not in unchanged:
        _apply_phone(listing, values["phone"])
    if "schedule" not in unchanged:
        _apply_schedule(listing, values)
    if "location" not in unchanged:
        _apply_location(listing, values)


# -- comparing two versions -----------------------------------------------------------------------

VOCABULARY_OF = {"kind": "kind", "session_format": "session_format", "moderation": "moderation",
                 "online_mode": "online_mode", "membership": "membership", "cost": "cost",
                 "license_type": "license_type", "delivery": "delivery", "audience": "audience",
                 "journey_stage": "journey_stage", "cancer_type": "cancer_type", "languages": "language"}


@dataclass(frozen=True)
class Change:
    field: str
    label: str
    old: str
    new: str


def shown(name: str, value) -> str:
    """A value as a reviewer reads it: labels for codes, Yes/No, "—" for nothing."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if name in VOCABULARY_OF:
        codes = value if isinstance(value, list) else [value]
        return ", ".join(vocabulary.label(VOCABULARY_OF[name], code) for code in codes)
    if name == "freq":
        return {"weekly": _("Weekly"), "monthly": _("Monthly")}.get(value, value)
    if name == "byday":
        return ", ".join(day_name(day) for day in value if day in DAYS)
    if name == "timezone":
        try:
            return get_timezone_name(value, width="long", locale=get_locale())
        except LookupError:
            return str(value)
    if name == "week_of_month":
        return str(ORDINALS.get(int(value), value)) if value in WEEKS_OF_MONTH else str(value)
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def changes(old: dict | None, new: dict) -> list[Change]:
    """Field by field, what `new` changes from `old` (everything it fills in when there is no `old`)."""
    before = tidy(old) if old is not None else blank_values()
    after = tidy(new)
    return [Change(name, str(FIELD_LABELS[name]), shown(name, before[name]), shown(name, after[name]))
            for name in FIELDS if shown(name, before[name]) != shown(name, after[name])]
