"""The HSDS 3.0 read API under /hsds, as ../shared/hsds/schema/openapi.json defines it.

Only published listings (search.published) appear, and organizations and service_at_locations
only through them. Bad parameters answer 400 with the API's JSON error shape.
"""
from __future__ import annotations

import json
import math

from flask import Blueprint, Response, current_app, jsonify, request, url_for

from ..errors import json_error
from ..extensions import csrf
from . import queries
from .mapping import (organization_to_hsds, service_at_location_to_hsds, service_to_hsds, taxonomy_term_to_hsds,
                      taxonomy_to_hsds)
from .profile import profile_document
from .queries import HsdsParamError

HSDS_VERSION = "3.0"
OFFICIAL_OPENAPI_URL = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/openapi.json"
NDJSON_BATCH = 500

bp = Blueprint("hsds", __name__, url_prefix="/hsds")
csrf.exempt(bp)  # read-only GETs


@bp.errorhandler(HsdsParamError)
def bad_parameter(error: HsdsParamError):
    return json_error(400, error.code, error.message, error.field)


def not_found(kind: str):
    return json_error(404, "not_found", f"No published {kind} has that id.", "id")


def page_response(contents: list, total: int, paging: queries.PageRequest):
    total_pages = max(1, math.ceil(total / paging.per_page))
    return jsonify({
        "total_items": total, "total_pages": total_pages, "page_number": paging.page, "size": len(contents),
        "first_page": paging.page == 1, "last_page": paging.page >= total_pages, "empty": not contents,
        "contents": contents,
    })


def ndjson(produce_batch) -> Response:
    """Every result, one JSON object a line, without pagination (format=ndjson).

    The body streams after the request's context has ended, so each batch,
    `produce_batch(offset, limit)`, runs in an app context (and database session) of its own,
    closed before its lines are handed on.
    """
    app = current_app._get_current_object()

    def lines():
        offset = 0
        while True:
            with app.app_context():
                batch = [json.dumps(item, ensure_ascii=False) + "\n" for item in produce_batch(offset, NDJSON_BATCH)]
            yield from batch
            if len(batch) < NDJSON_BATCH:
                return
            offset += NDJSON_BATCH

    return Response(lines(), mimetype="application/x-ndjson")


@bp.get("/")
def root():
    return jsonify({"version": HSDS_VERSION, "profile": url_for("hsds.profile", _external=True),
                    "openapi_url": OFFICIAL_OPENAPI_URL})


@bp.get("/profile.json")
def profile():
    return jsonify(profile_document())


@bp.get("/services")
def services():
    wanted = queries.service_filter(request.args)
    paging = queries.page_request(request.args)
    fmt = queries.output_format(request.args)
    minimal, full = queries.boolean(request.args, "minimal"), queries.boolean(request.args, "full")
    where = queries.service_clauses(wanted)
    terms = queries.term_index() if full else {}

    def shape(listing):
        if minimal:  # id and last_modified, plus what the schema requires
            return {"id": listing.hsds_id, "name": listing.name, "status": listing.service_status or "active",
                    "last_modified": service_to_hsds(listing, full=False)["last_modified"]}
        return service_to_hsds(listing, terms, full=full)

    if fmt == "ndjson":
        return ndjson(lambda offset, limit: [shape(x) for x in queries.listings_page(where, offset, limit)])
    listings = queries.listings_page(where, paging.offset, paging.per_page)
    return page_response([shape(x) for x in listings], queries.count_listings(where), paging)


@bp.get("/services/<service_id>")
def service(service_id: str):
    listing = queries.published_listing(service_id)
    if listing is None:
        return not_found("service")
    return jsonify(service_to_hsds(listing, queries.term_index(), full=True))


@bp.get("/organizations")
def organizations():
    search = queries.text(request.args, "search", queries.SEARCH_MAX_LENGTH)
    paging = queries.page_request(request.args)
    fmt = queries.output_format(request.args)
    full, full_service = queries.boolean(request.args, "full"), queries.boolean(request.args, "full_service")
    where = queries.organization_clauses(search)
    terms = queries.term_index() if full_service else {}

    def shape(org):
        services_of = queries.services_of(org) if full else []
        return organization_to_hsds(org, services_of, terms, full=full, full_service=full_service)

    if fmt == "ndjson":
        return ndjson(lambda offset, limit: [shape(org) for org in queries.organizations_page(where, offset, limit)[1]])
    total, orgs = queries.organizations_page(where, paging.offset, paging.per_page)
    return page_response([shape(org) for org in orgs], total, paging)


@bp.get("/organizations/<organization_id>")
def organization(organization_id: str):
    full_service = queries.boolean(request.args, "full_service")
    org = queries.published_organization(organization_id)
    if org is None:
        return not_found("organization")
    terms = queries.term_index() if full_service else {}
    return jsonify(organization_to_hsds(org, queries.services_of(org), terms, full=True, full_service=full_service))


@bp.get("/service_at_locations")
def service_at_locations():
    wanted = queries.service_filter(request.args)
    near = queries.nearby(request.args)
    paging = queries.page_request(request.args)
    fmt = queries.output_format(request.args)
    full = queries.boolean(request.args, "full")
    def shaped(offset: int, limit: int) -> tuple[list[dict], int]:
        # The term index once per batch, not once per row; the matches are ordered by distance in
        # Python, so each batch (its own session when streaming) selects them again.
        found = queries.service_at_locations(wanted, near)
        terms = queries.term_index() if full else {}
        return [service_at_location_to_hsds(sal, terms, full=full) for sal in found[offset:offset + limit]], len(found)

    if fmt == "ndjson":
        return ndjson(lambda offset, limit: shaped(offset, limit)[0])
    contents, total = shaped(paging.offset, paging.per_page)
    return page_response(contents, total, paging)


@bp.get("/service_at_locations/<sal_id>")
def service_at_location(sal_id: str):
    sal = queries.published_service_at_location(sal_id)
    if sal is None:
        return not_found("service_at_location")
    return jsonify(service_at_location_to_hsds(sal, queries.term_index(), full=True))


@bp.get("/taxonomies")
def taxonomies():
    search = queries.text(request.args, "search", queries.SEARCH_MAX_LENGTH)
    paging = queries.page_request(request.args)
    fmt = queries.output_format(request.args)
    found = [taxonomy_to_hsds(t) for t in queries.taxonomies(search)]
    if fmt == "ndjson":
        return ndjson(lambda offset, limit: found[offset:offset + limit])
    return page_response(found[paging.offset:paging.offset + paging.per_page], len(found), paging)


@bp.get("/taxonomies/<taxonomy_id>")
def taxonomy(taxonomy_id: str):
    found = [t for t in queries.taxonomies(None) if t.hsds_id == taxonomy_id]
    if not found:
        return not_found("taxonomy")
    return jsonify(taxonomy_to_hsds(found[0]))


@bp.get("/taxonomy_terms")
def taxonomy_terms():
    search = queries.text(request.args, "search", queries.SEARCH_MAX_LENGTH)
    taxonomy_id, parent_id = queries.text(request.args, "taxonomy_id"), queries.text(request.args, "parent_id")
    queries.boolean(request.args, "top_only")  # validated; every term of ours is top-level
    paging = queries.page_request(request.args)
    fmt = queries.output_format(request.args)
    found = [taxonomy_term_to_hsds(t) for t in queries.taxonomy_terms(search, taxonomy_id, parent_id)]
    if fmt == "ndjson":
        return ndjson(lambda offset, limit: found[offset:offset + limit])
    return page_response(found[paging.offset:paging.offset + paging.per_page], len(found), paging)


@bp.get("/taxonomy_terms/<term_id>")
def taxonomy_term(term_id: str):
    term = queries.taxonomy_term(term_id)
    if term is None:
        return not_found("taxonomy_term")
    return jsonify(taxonomy_term_to_hsds(term))
