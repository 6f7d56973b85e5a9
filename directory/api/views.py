"""JSON API: /api/v1, the same search and listings as the HTML pages, and its OpenAPI document.

A view's docstring, its return annotation (a TypedDict of serialize.py) and the
query parameters it reads (`reads_query`) are what /api/openapi.json publishes.
"""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, request

from ..errors import json_error
from .. import search_cache
from ..extensions import csrf
from ..search import SEARCH_PARAMS, SearchError, get_published_listing, parse_search_args, run_search
from .openapi import openapi_document, reads_query
from .serialize import ListingDetail, SearchResults, listing_detail, search_results

bp = Blueprint("api", __name__, url_prefix="/api")
v1 = Blueprint("v1", __name__, url_prefix="/v1")
for blueprint in (bp, v1):
    csrf.exempt(blueprint)  # read-only GETs; no state changes, no session needed


@v1.errorhandler(SearchError)
def bad_search(error: SearchError):
    return json_error(400, error.code, error.message, error.field)


@v1.get("/search")
@reads_query(SEARCH_PARAMS)
def search() -> SearchResults:
    """Search published listings, with the same parameters and rules as the /search page.

    Values within one field combine with OR, fields with AND. With a ZIP, results are the
    listings with a location within the radius, nearest first, then the online or phone-only
    listings that serve that ZIP's state or the whole country (`distance_miles` null).
    """
    query = parse_search_args(request.args)
    return search_cache.cached_json(query, lambda state: search_results(run_search(query, state, keep_rows=False)))


@v1.get("/listings/<int:listing_id>")
def listing(listing_id: int) -> ListingDetail:
    """One published listing with its phones, schedules, locations and full guidance."""
    found = get_published_listing(listing_id)
    if found is None:
        abort(json_error(404, "not_found", "No published listing has that id.", "id"))
    return listing_detail(found)


bp.register_blueprint(v1)


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())
