"""The listing form: every vocabulary field, under the vocabulary's names.

The form checks each field on its own (type, length, known codes, a web
address that is really one); what a submission must contain as a whole, and
the address lookup, are rules in listings_service.
"""
from __future__ import annotations

import re
from datetime import time
from urllib.parse import urlsplit

from babel.dates import get_timezone_name
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import (BooleanField, EmailField, RadioField, SelectField, SelectMultipleField, StringField,
                     TextAreaField, TimeField, URLField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from .. import vocabulary
from ..forms import TextForm
from ..listing_data import DAYS, FIELD_LABELS, LIST_FIELDS, WEEKS_OF_MONTH, YES_NO_FIELDS, blank_values, day_name
from ..presenters import ORDINALS

TIMEZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
             "America/Anchorage", "Pacific/Honolulu", "America/Puerto_Rico", "Pacific/Guam", "Pacific/Pago_Pago")
PHONE_RE = re.compile(r"^\+?[\d\s().-]+(?:\s*(?:ext\.?|x)\s*\d{1,6})?$", re.ASCII | re.IGNORECASE)
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SHORT, MEDIUM, LONG = 200, 500, 5000


def _choice_values(field) -> set[str]:
    return {choice.value for choice in field.choices}


def _known_choice(field) -> None:
    if field.data not in ("", None) and field.data not in _choice_values(field):
        raise ValidationError(_l("Choose one of the options shown."))


class CodeSelectField(SelectField):
    """One code from a list; leaving it empty is for the submission rules to judge."""

    def pre_validate(self, form):
        _known_choice(self)


class CodeRadioField(RadioField):
    def pre_validate(self, form):
        _known_choice(self)


class MultiCheckboxField(SelectMultipleField):
    """Several codes, one checkbox each."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        known = _choice_values(self)
        if any(value not in known for value in self.data or []):
            raise ValidationError(_l("Choose from the options shown."))


def _pairs(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _codes(options: dict) -> list[SelectChoice]:
    return _pairs(options.items())


def _states() -> list[SelectChoice]:
    return _pairs((state, state) for state in vocabulary.STATES)


def _yes_no() -> list[SelectChoice]:
    return _pairs([("yes", _l("Yes")), ("no", _l("No")), ("", _l("Not stated"))])


def _blank(label) -> list[SelectChoice]:
    return [SelectChoice("", label)]


def no_control_characters(form, field):
    if isinstance(field.data, str) and CONTROL_RE.search(field.data):
        raise ValidationError(_l("Remove the invisible control characters from this text."))


def web_address(form, field):
    if not field.data:
        return
    parts = urlsplit(field.data)
    if parts.scheme not in ("http", "https") or not parts.hostname or "." not in parts.hostname \
            or any(ch.isspace() for ch in field.data):
        raise ValidationError(_l("Enter a full web address that starts with https:// or http://."))


def phone_number(form, field):
    if not field.data:
        return
    digits = re.sub(r"\D", "", field.data.split("x")[0].split("X")[0])
    if not PHONE_RE.match(field.data) or not 7 <= len(digits) <= 15:
        raise ValidationError(_l("Enter a phone number like 312-555-0100."))


def _text(name: str, max_length: int, area: bool = False, **kwargs):
    field_class = TextAreaField if area else StringField
    return field_class(FIELD_LABELS[name], validators=[Optional(), Length(max=max_length), no_control_characters],
                       filters=[lambda v: v.strip() if isinstance(v, str) else v], **kwargs)


def _choice(name: str, choices, radio: bool = False, **kwargs):
    field_class = CodeRadioField if radio else CodeSelectField
    return field_class(FIELD_LABELS[name], choices=choices, default="", **kwargs)


def _several(name: str, choices, **kwargs):
    return MultiCheckboxField(FIELD_LABELS[name], choices=choices, **kwargs)


class ListingForm(TextForm):
    name = _text("name", SHORT)
    kind = _choice("kind", _codes(vocabulary.KIND), radio=True)
    session_format = _choice("session_format", _codes(vocabulary.SESSION_FORMAT), radio=True)
    delivery = _several("delivery", _codes(vocabulary.DELIVERY))
    description = _text("description", LONG, area=True,
                        description=_l("In plain words: what happens, who it helps, what to expect."))
    description_es = _text("description_es", LONG, area=True, description=_l("Optional."))

    moderation = _choice("moderation", _blank(_l("Choose one")) + _codes(vocabulary.MODERATION))
    moderator_credentials = _text("moderator_credentials", 300,
                                  description=_l("For example: oncology social worker, LCSW; trained peer leaders."))
    membership = _choice("membership", _blank(_l("Choose one")) + _codes(vocabulary.MEMBERSHIP))
    online_mode = _choice("online_mode", _blank(_l("Not online")) + _codes(vocabulary.ONLINE_MODE),
                          description=_l("Needed when people take part online."))
    privacy_policy_url = URLField(FIELD_LABELS["privacy_policy_url"],
                                  validators=[Optional(), Length(max=MEDIUM), web_address],
                                  filters=[lambda v: v.strip() if isinstance(v, str) else v])
    records_sessions = _choice("records_sessions", _yes_no(), radio=True)
    anonymity_allowed = _choice("anonymity_allowed", _yes_no(), radio=True)
    medical_advice_policy = _text("medical_advice_policy", 2000, area=True,
                                  description=_l("For example: members share experiences; medical questions go to "
                                                 "each person's care team."))

    audience = _several("audience", _codes(vocabulary.AUDIENCE))
    journey_stage = _several("journey_stage", _codes(vocabulary.JOURNEY_STAGE))
    cancer_type = _several("cancer_type", _codes(vocabulary.CANCER_TYPE))
    languages = _several("languages", _codes(vocabulary.LANGUAGE))
    cost = _choice("cost", _codes(vocabulary.COST), radio=True)
    cost_details = _text("cost_details", MEDIUM)
    how_to_join = _text("how_to_join", 2000, area=True)

    url = URLField(FIELD_LABELS["url"], validators=[Optional(), Length(max=MEDIUM), web_address],
                   filters=[lambda v: v.strip() if isinstance(v, str) else v])
    email = EmailField(FIELD_LABELS["email"],
                       validators=[Optional(), Length(max=254), Email(check_deliverability=False)],
                       filters=[lambda v: v.strip() if isinstance(v, str) else v])
    phone = StringField(FIELD_LABELS["phone"], validators=[Optional(), Length(max=40), phone_number],
                        filters=[lambda v: v.strip() if isinstance(v, str) else v])

    freq = _choice("freq", _pairs([("", _l("No regular schedule")), ("weekly", _l("Weekly")),
                                   ("monthly", _l("Monthly"))]))
    week_of_month = _choice("week_of_month", [], description=_l("For a monthly meeting."))
    byday = _several("byday", [])
    opens_at = TimeField(FIELD_LABELS["opens_at"], validators=[Optional()])
    closes_at = TimeField(FIELD_LABELS["closes_at"], validators=[Optional()])
    timezone = _choice("timezone", [])

    address_1 = _text("address_1", SHORT)
    city = _text("city", 100)
    state = _choice("state", _blank(_l("Choose a state")) + _states())
    postal_code = _text("postal_code", 10)
    service_area = _several("service_area", _states(),
                            description=_l("For a program without a meeting place: where people can join from."))
    nationwide = BooleanField(FIELD_LABELS["nationwide"])

    license_type = _choice("license_type", _blank(_l("Choose one")) + _codes(vocabulary.LICENSE_TYPE))
    license_number = _text("license_number", 60)
    license_state = _choice("license_state", _blank(_l("Choose a state")) + _states())
    telehealth_states = _several("telehealth_states", _states(),
                                 description=_l("States where you are licensed to see clients by video or phone."))
    accepting_clients = _choice("accepting_clients", _yes_no(), radio=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Names of days, weeks and zones in the reader's language, made per request.
        self.byday.choices = _pairs((day, day_name(day)) for day in DAYS)
        self.week_of_month.choices = _blank(_l("Choose one")) + _pairs(
            (week, str(ORDINALS[int(week)]).capitalize()) for week in WEEKS_OF_MONTH)
        self.timezone.choices = _blank(_l("Choose a time zone")) + _pairs(
            (zone, get_timezone_name(zone, width="long", locale=get_locale())) for zone in TIMEZONES)

    def clip_long_values(self, limit: int = LONG) -> None:
        """Keep an over-long value out of the page that reports it: its field already says it is too long."""
        for field in self:
            if isinstance(field.data, str) and len(field.data) > limit:
                field.data = field.data[:limit]
                field.raw_data = [field.data]

    def values(self) -> dict:
        """The submitted values in listing_data's shape (codes, lists, booleans or None, "HH:MM")."""
        values = blank_values()
        for name in values:
            if name in ("latitude", "longitude") or name not in self._fields:
                continue
            data = self[name].data
            if name in YES_NO_FIELDS:
                data = {"yes": True, "no": False}.get(data)
            elif name in LIST_FIELDS:
                data = list(dict.fromkeys(data or []))
            elif name == "nationwide":
                data = bool(data)
            elif isinstance(data, time):
                data = data.strftime("%H:%M")
            elif isinstance(data, str):
                data = data or None
            values[name] = data
        if values["postal_code"]:
            values["postal_code"] = values["postal_code"].upper()
        return values

    @classmethod
    def data_from_values(cls, values: dict) -> dict:
        """Initial form data for stored values (the reverse of `values`)."""
        data = dict(values)
        for name in YES_NO_FIELDS:
            data[name] = {True: "yes", False: "no"}.get(values.get(name), "")
        for name in ("opens_at", "closes_at"):
            data[name] = time.fromisoformat(values[name]) if values.get(name) else None
        for name, value in values.items():
            if value is None and name not in ("opens_at", "closes_at"):
                data[name] = ""
        return data
