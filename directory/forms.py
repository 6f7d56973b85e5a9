"""The base for every form that takes text from people (Flask-WTF: CSRF included)."""
from __future__ import annotations

from flask import request
from flask_wtf import FlaskForm
from werkzeug.datastructures import CombinedMultiDict


class TextForm(FlaskForm):
    """A form that reads only the posted text: a file sent under a field's name is not data for it
    (WTForms text fields would otherwise receive a FileStorage and fail on it)."""

    class Meta:
        def wrap_formdata(self, form, formdata):
            formdata = super().wrap_formdata(form, formdata)
            return request.form if isinstance(formdata, CombinedMultiDict) else formdata
