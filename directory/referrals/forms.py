"""Referral forms. Each field checks itself with the same rules service.py enforces."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from .. import vocabulary
from ..coordinator.forms import no_control_characters
from ..forms import TextForm
from ..models import REFERRAL_STATUSES
from . import service

STATUS_LABELS = {
    "pending": _l("Waiting to hear"),
    "contacted": _l("Contacted the program"),
    "connected": _l("Connected: taking part"),
    "could_not_reach": _l("Could not reach the program"),
    "not_eligible": _l("Not eligible"),
    "no_capacity": _l("No room for new people"),
    "declined": _l("Client decided not to go"),
}
assert set(STATUS_LABELS) == set(REFERRAL_STATUSES)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class KnownChoiceField(SelectField):
    """A select whose unknown values get a plain message rather than WTForms' 'Not a valid choice'."""

    def pre_validate(self, form):
        if self.data not in {value for value, _label in self.choices}:
            raise ValidationError(_l("Choose one of the options shown."))


class PacketForm(TextForm):
    client_reference = StringField(
        _l("Client reference"), filters=[_strip],
        validators=[InputRequired(_l("Enter a code or initials for the client.")), Length(max=20)],
        description=_l("A code or initials, such as JR-0412. Never the client's name: this is all the "
                       "packet keeps about who it is for."))
    client_language = KnownChoiceField(_l("Client's preferred language"), default="en")
    notes = TextAreaField(_l("Notes for yourself (optional)"), filters=[_strip],
                          validators=[Optional(), Length(max=service.NOTES_MAX), no_control_characters],
                          description=_l("Only you see these. They are never printed or shared. Leave out "
                                         "names, diagnoses and other details that identify the client."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.client_language.choices = [(code, str(name)) for code, name in vocabulary.LANGUAGE.items()]

    def validate_client_reference(self, field):
        try:
            service.check_client_reference(field.data)
        except service.ReferralError as error:
            raise ValidationError(error.message) from None


class AddItemForm(TextForm):
    packet_id = KnownChoiceField(_l("Packet"))
    listing_id = HiddenField()
    next = HiddenField()

    def __init__(self, packets=(), *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.packet_id.choices = [(str(p.id), p.client_reference) for p in packets]


class ItemForm(TextForm):
    note_for_client = TextAreaField(
        _l("Note for the client"), filters=[_strip],
        validators=[Optional(), Length(max=service.NOTE_FOR_CLIENT_MAX), no_control_characters],
        description=_l("Printed and shared with the client, e.g. “Ask for Maria; the first visit is free.”"))
    status = KnownChoiceField(_l("What came of it"), default="pending")
    status_note = StringField(_l("Follow-up note (only you see it)"), filters=[_strip],
                              validators=[Optional(), Length(max=service.STATUS_NOTE_MAX), no_control_characters])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [(code, str(label)) for code, label in STATUS_LABELS.items()]
