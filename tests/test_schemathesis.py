"""Schemathesis over /api/v1 (our generated document) and /hsds (the official HSDS 3.0 OpenAPI).

Every operation gets generated requests, valid and invalid, in-process against the WSGI app:
no answer may be a server error, and every answer must match its documented status, content
type and schema. Bounded (a fixed number of examples, derandomized, no example database) so
the module stays well under a minute.
"""
from __future__ import annotations

import json
from datetime import time

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from directory.extensions import db
from directory.models import Taxonomy, TaxonomyTerm
from directory.seeding import seed_taxonomy

from tests.hsds_schemas import HSDS_DIR

HSDS_SPEC = HSDS_DIR / "schema" / "openapi.json"
OFFICIAL_SCHEMA_URL = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"

BOUNDED = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
MODES = [pytest.param(mode, id=mode.value) for mode in GenerationMode]  # valid requests, then invalid ones


@pytest.fixture
def seeded(make):
    """A few published listings of each shape, so responses carry real content to check."""
    seed_taxonomy()
    db.session.commit()
    return [
        make.listing(name="Riverside Counseling", kind="counseling", session_format="one_on_one", moderation=None,
                     license_type="clinical_social_worker", license_number="LCSW-1", license_state="IL",
                     accepting_clients=True, delivery=["in_person", "online"], service_area=["IL"],
                     languages=["en", "es"], zip="60614", description_es="Consejería.",
                     phones=[{"number": "312-555-0100", "extension": "12"}],
                     schedules=[{"freq": "WEEKLY", "byday": "TU", "opens_at": time(18, 0),
                                 "closes_at": time(19, 30), "timezone": "America/Chicago"}]),
        make.listing(name="Lakeview Breast Cancer Group", cancer_type=["breast"], zip="60657"),
        make.listing(name="Online Caregivers Circle", delivery=["online"], online_mode="forum",
                     moderation="trained_peer", service_area=["US"], audience=["caregivers"], last_verified=None),
        make.listing(name="Phone Buddies", delivery=["phone"], service_area=["IL"], session_format="one_on_one"),
    ]


def can_be_invalid(operation) -> bool:
    """Whether a request can break the document: only through a parameter that not every string satisfies."""
    return any(p.definition.get("schema") != {"type": "string"} for p in [*operation.path_parameters, *operation.query])


def fuzz(schema, client, mode: GenerationMode, checks: list, real_ids: dict[str, list[str | int]]) -> None:
    """Every operation of `schema`, with generated requests sent through the test client.

    `real_ids` gives, per path with an {id}, ids that exist: generated ids almost never do, so
    most requests use one of them and the found item's answer gets checked too.
    The test client gives every request its own app context, as in production. (Schemathesis's
    pytest integration, `from_fixture` + `parametrize`, fails on pytest 9, so this drives its
    strategies with Hypothesis directly.)
    """
    for result in schema.get_all_operations():
        operation = result.ok()
        if mode is GenerationMode.NEGATIVE and not can_be_invalid(operation):
            continue
        strategy = operation.as_strategy(generation_mode=mode)
        if operation.path in real_ids:
            (name,) = [p.name for p in operation.path_parameters]
            strategy = st.one_of(strategy, *(operation.as_strategy(generation_mode=mode, path_parameters={name: value})
                                             for value in real_ids[operation.path]))

        @BOUNDED
        @given(case=strategy)
        def check_operation(case):
            case.call_and_validate(session=client, checks=checks)

        check_operation()


# -- /api/v1: our own generated document --------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_api_v1(app, client, seeded, mode):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    fuzz(schema, client, mode, [not_a_server_error, status_code_conformance, content_type_conformance,
                                response_schema_conformance],
         {"/listings/{listing_id}": [listing.id for listing in seeded]})


# -- /hsds: the official HSDS 3.0 document -------------------------------------------------------------

def bundled_hsds_spec() -> dict:
    """The official document with its schemas inlined (no network), and one of its slips corrected.

    It points at schema files by their raw.githubusercontent.com URLs; those files are in
    ../shared/hsds/schema, so each becomes a components.schemas entry.
    """
    spec = json.loads(HSDS_SPEC.read_text())
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})

    def local(relative: str) -> dict:
        name = relative.removesuffix(".json").replace("/", "_")
        if name not in schemas:
            schemas[name] = {}  # placeholder first: taxonomy_term.json refers to taxonomy.json and so on
            schemas[name] = inline(json.loads((HSDS_DIR / "schema" / relative).read_text()),
                                   relative.rpartition("/")[0])
        return {"$ref": f"#/components/schemas/{name}"}

    def inline(node, folder: str):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.endswith(".json"):
                target = ref.removeprefix(OFFICIAL_SCHEMA_URL) if ref.startswith(OFFICIAL_SCHEMA_URL) else \
                    "/".join(filter(None, (folder, ref)))
                return {**{k: inline(v, folder) for k, v in node.items() if k != "$ref"}, **local(target)}
            return {k: inline(v, folder) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v, folder) for v in node]
        return node

    spec["paths"] = inline(spec["paths"], "")
    # The official document gives /service_at_locations/{id} the *service* schema (compiled/service.json,
    # which requires name and status); what that endpoint returns is a service_at_location, as its own
    # description says, so it is checked against compiled/service_at_location.json instead.
    sal = spec["paths"]["/service_at_locations/{id}"]["get"]["responses"]["200"]["content"]["application/json"]
    sal["schema"] = local("compiled/service_at_location.json")
    # `format`'s description says "Default is `json`. Could be `ndjson`, which should stream all the
    # results", but the list answers declare only application/json: both are made explicit, so
    # fuzzing reaches the streaming answers and their content type is checked.
    spec["components"]["parameters"]["format"]["schema"]["enum"] = ["json", "ndjson"]
    for item in spec["paths"].values():
        if {"$ref": "#/components/parameters/format"} in item["get"].get("parameters", []):
            item["get"]["responses"]["200"]["content"]["application/x-ndjson"] = {}
    spec["servers"] = [{"url": "/hsds"}]  # the document leaves the base to the implementer; ours is /hsds
    return spec


@pytest.mark.parametrize("mode", MODES)
def test_hsds(app, client, seeded, mode):
    if not HSDS_SPEC.is_file():
        pytest.skip(f"the official HSDS OpenAPI document is not at {HSDS_SPEC} (CI has ../shared/hsds; "
                    "a fresh clone does not)")
    schema = schemathesis.openapi.from_dict(bundled_hsds_spec())
    schema.app = app
    taxonomies = db.session.scalars(db.select(Taxonomy.hsds_id)).all()
    terms = db.session.scalars(db.select(TaxonomyTerm.hsds_id).limit(3)).all()
    # The official document declares only 200 answers, so our 400 (bad parameter) and 404 (unknown id)
    # would fail status_code_conformance; every other check applies.
    fuzz(schema, client, mode, [not_a_server_error, content_type_conformance, response_schema_conformance], {
        "/services/{id}": [listing.hsds_id for listing in seeded],
        "/organizations/{id}": [listing.organization.hsds_id for listing in seeded],
        "/service_at_locations/{id}": [sal.hsds_id for listing in seeded for sal in listing.service_at_locations],
        "/taxonomies/{id}": taxonomies, "/taxonomy_terms/{id}": terms,
    })
