"""Public pages: home, search, listing, counselors, guidance. No account needed."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from .. import guidance
from ..content import counselor_types, current_language
from ..i18n import LANGUAGE_COOKIE, LANGUAGE_COOKIE_MAX_AGE, listing_description
from ..redirects import safe_next
from ..result_views import result_views
from ..search import SEARCH_PARAMS, SearchError, get_published_listing, parse_search_args, run_search

bp = Blueprint("public", __name__)

COUNSELOR_PARAMS = ("zip", "radius", "license_type", "delivery", "language", "accepting_clients", "cost", "page")


@bp.get("/")
def index():
    return render_template("public/index.html")


def _search_or_error(args: MultiDict):
    """(page, error): run the search, or keep the SearchError to show beside the form."""
    try:
        return run_search(parse_search_args(args)), None
    except SearchError as error:
        return None, error


@bp.get("/search")
def search():
    args = MultiDict((k, v) for k, v in request.args.items(multi=True) if k in SEARCH_PARAMS)
    page, error = _search_or_error(args) if args else (None, None)
    status = 400 if error else 200
    return render_template("public/search.html", page=page, cards=result_views(page) if page else [], error=error,
                           args=args), status


@bp.get("/listings/<int:listing_id>")
def listing(listing_id: int):
    found = get_published_listing(listing_id)
    if found is None:
        abort(404)
    return render_template("public/listing.html", listing=found, notes=guidance.notes_for(found),
                           description=listing_description(found, current_language()),
                           checklist=guidance.checklist() if found.is_online else [])


@bp.get("/counselors")
def counselors():
    args = MultiDict((k, v) for k, v in request.args.items(multi=True) if k in COUNSELOR_PARAMS)
    page, error = (None, None)
    if args:
        args_with_kind = MultiDict(args)
        args_with_kind.setlist("kind", ["counseling"])
        page, error = _search_or_error(args_with_kind)
    return render_template("public/counselors.html", types=counselor_types(), page=page,
                           cards=result_views(page) if page else [], error=error, args=args), 400 if error else 200


@bp.get("/guidance/online-groups")
def online_groups():
    return render_template("public/guidance.html", checklist=guidance.checklist(), page_text=guidance.page_text)


@bp.get("/language/<code>")
def choose_language(code: str):
    """Remember the reader's language in a cookie and go back to the page they were on (404 for others)."""
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    response = redirect(safe_next(request.args.get("next"), url_for("public.index")))
    response.set_cookie(LANGUAGE_COOKIE, code, max_age=LANGUAGE_COOKIE_MAX_AGE, samesite="Lax", httponly=True,
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response
