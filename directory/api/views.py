"""JSON API v1: the same search and listings as the HTML pages."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from ..errors import json_error
from ..extensions import csrf
from ..search import SearchError, get_published_listing, parse_search_args, run_search
from .serialize import center_dict, listing_detail, listing_summary

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # read-only GETs; no state changes, no session needed


@bp.errorhandler(SearchError)
def bad_search(error: SearchError):
    return json_error(400, error.code, error.message, error.field)


@bp.get("/search")
def search():
    page = run_search(parse_search_args(request.args))
    return jsonify({
        "center": center_dict(page.center),
        "total": page.total,
        "page": page.query.page,
        "per_page": page.query.per_page,
        "pages": page.pages,
        "results": [listing_summary(h.listing, h.distance_miles, h.location) for h in page.hits],
    })


@bp.get("/listings/<int:listing_id>")
def listing(listing_id: int):
    found = get_published_listing(listing_id)
    if found is None:
        return json_error(404, "not_found", "No published listing has that id.", "id")
    return jsonify(listing_detail(found))
