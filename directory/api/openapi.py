"""The OpenAPI 3.1 document of /api/v1 (served at /api/openapi.json), generated from the code.

Nothing here is a second copy of what the API does, so the document cannot drift from it:
- paths and path parameters come from the app's URL map (the /api/v1 blueprint's rules);
- a view's summary is its docstring, its 200 body the TypedDict it is annotated to return
  (serialize.py), turned into JSON Schema by pydantic; errors are errors.ErrorBody;
- query parameters are the names a view `reads_query`, with types, limits and enums from
  the parser that enforces them (search.py's constants, vocabulary.py's codes, geo.ZIP_RE).
"""
from __future__ import annotations

import copy
import functools
import inspect
import re
from typing import Callable, get_type_hints

from flask import current_app
from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema

from .. import geo, search, vocabulary
from ..errors import ErrorBody

API_VERSION = "1.0.0"  # of the /api/v1 contract: raise it when a response shape or parameter changes
V1_PREFIX = "/api/v1"
SCHEMA_REF = "#/components/schemas/{model}"


def reads_query(names: tuple[str, ...]) -> Callable:
    """Mark a view with the query parameters it reads (documented by `query_parameter`)."""
    def mark(view):
        view.query_parameters = tuple(names)
        return view
    return mark


# -- query parameters: search.parse_search_args' rules -------------------------------------------

def _scalar_parameters() -> dict[str, tuple[dict, str]]:
    # Read at call time, not import time: the document follows whatever the parser enforces now.
    return {
        "zip": ({"type": "string", "pattern": geo.ZIP_RE.pattern},
                "A US ZIP code (ZIP+4 accepted). Without it, results are not tied to a place."),
        "radius": ({"type": "number", "minimum": search.RADIUS_MIN, "maximum": search.RADIUS_MAX,
                    "default": search.RADIUS_DEFAULT}, "Miles from the ZIP code's centre."),
        "accepting_clients": ({"type": "boolean"}, "Counselors taking new clients (true) or not (false)."),
        "q": ({"type": "string", "maxLength": search.Q_MAX_LENGTH},
              "Words, each of which must appear in the name, the description (English or Spanish) "
              "or the organization's name."),
        "page": ({"type": "integer", "minimum": 1, "maximum": search.PAGE_MAX, "default": 1}, "Page number, from 1."),
        "per_page": ({"type": "integer", "minimum": 1, "maximum": search.PER_PAGE_MAX,
                      "default": search.PER_PAGE_DEFAULT}, "Results per page."),
    }


def query_parameter(name: str) -> dict:
    """The parameter object for one search parameter; a name without a rule here is an error, not a gap."""
    if name in search.FILTER_FIELDS:
        extra = " Programs for `any` cancer match every cancer type." if name == "cancer_type" else ""
        return {"name": name, "in": "query", "required": False, "style": "form", "explode": True,
                "description": f"Vocabulary codes; repeat the parameter for several, which combine with OR.{extra}",
                "schema": {"type": "array", "maxItems": search.MAX_VALUES_PER_FIELD,
                           "items": {"type": "string", "enum": list(vocabulary.ALL_FIELDS[name])}}}
    schema, description = _scalar_parameters()[name]
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


# -- path parameters: werkzeug's converters --------------------------------------------------------

RULE_VARIABLE = re.compile(r"<(?:(?P<converter>\w+)(?P<args>\([^)]*\))?:)?(?P<name>\w+)>")
CONVERTER_SCHEMAS = {
    "int": {"type": "integer", "minimum": 0},  # werkzeug's int matches digits only: no sign
    "default": {"type": "string"},
    "string": {"type": "string"},
}


def _path_and_parameters(rule: str) -> tuple[str, list[dict]]:
    parameters = []
    for match in RULE_VARIABLE.finditer(rule):
        converter = match["converter"] or "default"
        if match["args"] or converter not in CONVERTER_SCHEMAS:
            raise NotImplementedError(f"document the converter of {match[0]} in {rule}")
        parameters.append({"name": match["name"], "in": "path", "required": True,
                           "schema": dict(CONVERTER_SCHEMAS[converter])})
    return RULE_VARIABLE.sub(r"{\g<name>}", rule[len(V1_PREFIX):]), parameters


# -- response schemas: TypedDicts through pydantic ----------------------------------------------------

class _WithoutFieldTitles(GenerateJsonSchema):
    def field_title_should_be_set(self, schema) -> bool:
        return False  # "Id", "Name", ...: noise beside the property names


@functools.cache  # building the TypeAdapters is most of the document's cost; types do not change at run time
def _json_schemas(types: tuple[type, ...]) -> tuple[dict[type, dict], dict[str, dict]]:
    """({type: its $ref}, components.schemas) for the given TypedDicts and everything they hold."""
    refs, definitions = TypeAdapter.json_schemas(
        [(t, "serialization", TypeAdapter(t)) for t in types],
        ref_template=SCHEMA_REF, schema_generator=_WithoutFieldTitles)
    schemas = definitions.get("$defs", {})
    for schema in schemas.values():
        if "properties" in schema:
            schema["additionalProperties"] = False  # a key the TypedDict lacks is drift, not an extension
    return {t: refs[(t, "serialization")] for t in types}, schemas


def _json_content(ref: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ref}}}


def _operation(endpoint: str, view, path_parameters: list[dict], refs: dict[type, dict]) -> dict:
    summary, _, details = (inspect.getdoc(view) or endpoint).partition("\n")
    returns = get_type_hints(view)["return"]
    query_names = getattr(view, "query_parameters", ())
    responses = {"200": _json_content(refs[returns], (inspect.getdoc(returns) or "OK").partition("\n")[0])}
    if query_names:
        responses["400"] = _json_content(refs[ErrorBody], "A parameter is not valid; `error.field` names it.")
    if path_parameters:
        responses["404"] = _json_content(refs[ErrorBody], "Nothing published has that id.")
    operation = {"operationId": endpoint.rsplit(".", 1)[-1], "summary": summary.strip(),
                 "parameters": path_parameters + [query_parameter(name) for name in query_names],
                 "responses": responses}
    if details.strip():
        operation["description"] = details.strip()
    return operation


def openapi_document() -> dict:
    """The document for the running app's /api/v1 routes."""
    rules = sorted((rule for rule in current_app.url_map.iter_rules() if rule.rule.startswith(V1_PREFIX + "/")),
                   key=lambda rule: rule.rule)
    views = {rule.endpoint: current_app.view_functions[rule.endpoint] for rule in rules}
    refs, schemas = copy.deepcopy(
        _json_schemas((ErrorBody, *dict.fromkeys(get_type_hints(v)["return"] for v in views.values()))))
    paths: dict[str, dict] = {}
    for rule in rules:
        path, path_parameters = _path_and_parameters(rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(rule.endpoint, views[rule.endpoint],
                                                                    path_parameters, refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Support Directory API", "version": API_VERSION,
                 "description": "Cancer support programs and licensed counselors: search and listings. "
                                "Errors answer {\"error\": {\"code\", \"message\", \"field\"}}; "
                                "bad input never causes a 500."},
        "servers": [{"url": V1_PREFIX}],
        "paths": paths,
        "components": {"schemas": schemas},
    }
