from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length

from ..coordinator.forms import TextForm, no_control_characters
from ..listings_service import REASON_MAX


class RejectForm(TextForm):
    reason = TextAreaField(_l("Reason for the coordinator"),
                           validators=[InputRequired(_l("Give the coordinator a reason, so they know what to change.")),
                                       Length(max=REASON_MAX), no_control_characters],
                           description=_l("Say what to change. The coordinator sees exactly these words."))
