"""Account forms (Flask-WTF: every form carries its CSRF token)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from ..forms import TextForm
from .passwords import MAX_LENGTH, password_problems


class LoginForm(TextForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])
    remember = BooleanField(_l("Keep me signed in on this device"))


class SignupForm(TextForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    role = RadioField(_l("I am a"), choices=[
        SelectChoice("coordinator", _l("Program coordinator (I list my organization's programs)")),
        SelectChoice("caseworker", _l("Caseworker (I refer clients to programs)"))],
                      validators=[DataRequired()])
    organization = StringField(_l("Organization"), validators=[Optional(), Length(max=200)],
                               description=_l("Required for program coordinators."))
    password = PasswordField(_l("Password"), validators=[DataRequired()],
                             description=_l("At least 12 characters. A short phrase of unrelated words works well."))
    confirm = PasswordField(_l("Password again"), validators=[DataRequired(), EqualTo("password", _l("The passwords do not match."))])

    def validate_password(self, field):
        problems = password_problems(field.data or "", self.email.data or "")
        if problems:
            raise ValidationError(" ".join(problems))

    def validate_organization(self, field):
        if self.role.data == "coordinator" and not (field.data or "").strip():
            raise ValidationError(_l("Give the name of the organization whose programs you list."))


class PasswordChangeForm(TextForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])
    new_password = PasswordField(_l("New password"), validators=[DataRequired()],
                                 description=_l("At least 12 characters."))
    confirm = PasswordField(_l("New password again"),
                            validators=[DataRequired(), EqualTo("new_password", _l("The passwords do not match."))])
