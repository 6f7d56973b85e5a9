"""Public pages: home, search, listing, counselors, guidance. No account needed."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from werkzeug.datastructures import MultiDict

from .. import guidance
from ..content import counselor_types
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
    return render_template("public/search.html", page=page, error=error, args=args), status


@bp.get("/listings/<int:listing_id>")
def listing(listing_id: int):
    found = get_published_listing(listing_id)
    if found is None:
        abort(404)
    return render_template("public/listing.html", listing=found, notes=guidance.notes_for(found),
                           checklist=guidance.checklist() if found.is_online else [])


@bp.get("/counselors")
def counselors():
    args = MultiDict((k, v) for k, v in request.args.items(multi=True) if k in COUNSELOR_PARAMS)
    page, error = (None, None)
    if args:
        args_with_kind = MultiDict(args)
        args_with_kind.setlist("kind", ["counseling"])
        page, error = _search_or_error(args_with_kind)
    return render_template("public/counselors.html", types=counselor_types(), page=page, error=error,
                           args=args), 400 if error else 200


@bp.get("/guidance/online-groups")
def online_groups():
    return render_template("public/guidance.html", checklist=guidance.checklist(), page_text=guidance.page_text)
