"""/api/openapi.json: a valid OpenAPI 3.1 document, generated from the code, that real responses match."""
from __future__ import annotations

from datetime import time

import pytest
from jsonschema import Draft202012Validator
from werkzeug.datastructures import MultiDict

from directory import search, vocabulary
from directory.api.serialize import ListingDetail, SearchResults


@pytest.fixture
def document(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.is_json
    return response.json


def parameters(document, path="/search") -> dict[str, dict]:
    return {p["name"]: p for p in document["paths"][path]["get"]["parameters"]}


def check(document, instance, schema_name: str) -> None:
    """Validate `instance` against a component schema of the document (formats checked too)."""
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": document["components"]}
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(instance), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def test_document_is_valid_openapi(document):
    from openapi_spec_validator import validate

    validate(document)
    assert document["openapi"].startswith("3.1")
    assert document["info"]["version"]
    assert document["servers"] == [{"url": "/api/v1"}]  # relative: valid on any host
    assert set(document["paths"]) == {"/search", "/listings/{listing_id}"}


@pytest.fixture
def counselor(make):
    return make.listing(
        name="Lakeside Counseling", kind="counseling", session_format="one_on_one", moderation=None,
        license_type="psychologist", license_number="PSY-1", license_state="IL", accepting_clients=True,
        delivery=["in_person", "online"], service_area=["IL"], languages=["en", "es"], zip="60614",
        url="https://example.org/lakeside", description_es="Consejería junto al lago.",
        phones=[{"number": "312-555-0100", "extension": "12"}],
        schedules=[{"freq": "WEEKLY", "byday": "TU", "opens_at": time(18, 0), "closes_at": time(19, 30),
                    "timezone": "America/Chicago"}],
    )


def test_real_responses_match_the_documented_schemas(client, make, document, counselor):
    make.listing(name="Online circle", delivery=["online"], service_area=["US"], online_mode="forum",
                 moderation="unmoderated", last_verified=None)
    found = client.get("/api/v1/search?zip=60614&radius=50").json
    assert [r["distance_miles"] is None for r in found["results"]] == [False, True]  # near, then remote-only
    check(document, found, "SearchResults")
    check(document, client.get("/api/v1/search?q=lakeside&accepting_clients=true").json, "SearchResults")
    detail = client.get(f"/api/v1/listings/{counselor.id}").json
    assert detail["phones"] and detail["schedules"] and detail["locations"]
    check(document, detail, "ListingDetail")


@pytest.mark.parametrize("url, status", [("/api/v1/search?zip=abcde", 400), ("/api/v1/search?cost=barter", 400),
                                         ("/api/v1/search?per_page=0", 400), ("/api/v1/listings/7", 404)])
def test_errors_match_the_documented_schema(client, document, url, status):
    response = client.get(url)
    assert response.status_code == status
    check(document, response.json, "ErrorBody")
    operation = document["paths"]["/search" if "search" in url else "/listings/{listing_id}"]["get"]
    assert str(status) in operation["responses"]


def test_schemas_are_the_serializers_typed_dicts(document):
    schemas = document["components"]["schemas"]
    for typed in (SearchResults, ListingDetail):
        schema = schemas[typed.__name__]
        assert set(schema["properties"]) == set(typed.__required_keys__) | set(typed.__optional_keys__)
        assert schema["additionalProperties"] is False  # an undocumented key would fail validation


# -- the document follows the code -------------------------------------------------------------------

def test_every_search_parameter_is_documented(document):
    assert list(parameters(document)) == list(search.SEARCH_PARAMS)


def test_every_parameter_the_parser_reads_is_documented(document):
    """parse_search_args reads no name that the document (SEARCH_PARAMS) leaves out."""
    read = set()

    class Recording(MultiDict):
        def getlist(self, key, type=None):
            read.add(key)
            return super().getlist(key, type)

    search.parse_search_args(Recording())
    assert read <= set(parameters(document))


def test_every_vocabulary_code_is_an_enum_value(document):
    documented = parameters(document)
    for field, codes in vocabulary.ALL_FIELDS.items():
        assert documented[field]["schema"]["items"]["enum"] == list(codes)


def test_a_new_code_appears_in_the_document_and_is_accepted(client, monkeypatch):
    monkeypatch.setitem(vocabulary.COST, "barter", "Barter")
    enum = parameters(client.get("/api/openapi.json").json)["cost"]["schema"]["items"]["enum"]
    assert "barter" in enum
    assert client.get("/api/v1/search?cost=barter").status_code == 200
    assert client.get("/api/v1/search?cost=barter&zip=60614").status_code == 200  # no bit for it yet: nothing


@pytest.mark.parametrize("constant, parameter, keyword", [
    ("PER_PAGE_MAX", "per_page", "maximum"), ("PER_PAGE_DEFAULT", "per_page", "default"),
    ("PAGE_MAX", "page", "maximum"), ("RADIUS_MIN", "radius", "minimum"), ("RADIUS_MAX", "radius", "maximum"),
    ("RADIUS_DEFAULT", "radius", "default"), ("Q_MAX_LENGTH", "q", "maxLength"),
])
def test_limits_come_from_the_parser(client, monkeypatch, constant, parameter, keyword):
    assert parameters(client.get("/api/openapi.json").json)[parameter]["schema"][keyword] == getattr(search, constant)
    monkeypatch.setattr(search, constant, getattr(search, constant) - 1)
    assert parameters(client.get("/api/openapi.json").json)[parameter]["schema"][keyword] == getattr(search, constant)


def test_values_per_field_limit_is_documented(document):
    assert parameters(document)["delivery"]["schema"]["maxItems"] == search.MAX_VALUES_PER_FIELD
