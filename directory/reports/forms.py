from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from ..coordinator.forms import TextForm, no_control_characters
from ..models.report import REPORT_COMMENT_MAX
from .service import PROBLEM_LABELS


class ReportForm(TextForm):
    problem = RadioField(_l("What is wrong?"), choices=[SelectChoice(code, label) for code, label in PROBLEM_LABELS.items()],
                         validators=[InputRequired(_l("Choose what is wrong."))])
    comment = TextAreaField(_l("Tell us more (optional)"),
                            validators=[Optional(), Length(max=REPORT_COMMENT_MAX), no_control_characters],
                            description=_l("Up to 500 characters. Please do not include your name or any "
                                           "health details."))
