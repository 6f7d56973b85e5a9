"""Error pages: JSON for API clients, HTML for people.

The JSON shape is DESIGN.md's: {"error": {"code", "message", "field"}}.
"""
from __future__ import annotations

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from typing_extensions import TypedDict  # pydantic (api/openapi.py) reads typing.TypedDict only from Python 3.12
from werkzeug.exceptions import HTTPException, InternalServerError

API_PREFIXES = ("/api/", "/hsds")


class ErrorDetail(TypedDict):
    code: str  # stable, for programs: invalid_parameter, unknown_code, unknown_zip, not_found, ...
    message: str  # for people, in the request's language
    field: str | None  # the parameter at fault, if one is


class ErrorBody(TypedDict):
    """What every JSON error answers (api/openapi.py documents it from this)."""
    error: ErrorDetail


def wants_json() -> bool:
    if request.path.startswith(API_PREFIXES):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def json_error(status: int, code: str, message: str, field: str | None = None):
    body: ErrorBody = {"error": {"code": code, "message": message, "field": field}}
    response = jsonify(body)
    response.status_code = status
    return response


def _titles() -> dict[int, str]:
    return {
        400: _("Please check your request"),
        403: _("Not allowed"),
        404: _("Page not found"),
        405: _("Not allowed"),
        410: _("No longer available"),
        413: _("Too large"),
        429: _("Too many requests"),
        500: _("Something went wrong"),
    }


def _messages() -> dict[int, str]:
    return {
        400: _("Something in the request was not right."),
        403: _("You do not have permission to see this page."),
        404: _("We could not find that page. It may have been moved or removed."),
        405: _("That action is not allowed here."),
        410: _("This link is no longer available."),
        413: _("What was sent is too large."),
        429: _("Too many requests. Please wait a minute and try again."),
        500: _("Something went wrong on our side. Please try again in a moment."),
    }


def handle_http_error(error: HTTPException):
    status = error.code or 500
    message = _messages().get(status, error.description or "")
    if wants_json():
        return json_error(status, error.name.lower().replace(" ", "_"), message)
    title = _titles().get(status, error.name)
    return render_template("errors/error.html", status=status, title=title, message=message), status


def handle_unexpected(error: Exception):
    return handle_http_error(InternalServerError())


def register(app) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    if not app.debug and not app.testing:
        app.register_error_handler(Exception, handle_unexpected)
