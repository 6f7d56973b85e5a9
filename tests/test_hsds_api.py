"""The HSDS 3.0 read API under /hsds: shapes (validated by the official schemas), publication, filters, errors."""
from __future__ import annotations

import json
from datetime import datetime, time, timedelta

import pytest

from directory.extensions import db
from directory.models import TaxonomyTerm
from directory.seeding import seed_taxonomy

from tests.hsds_schemas import HAVE_HSDS, NO_HSDS, schema_errors

needs_hsds = pytest.mark.skipif(not HAVE_HSDS, reason=NO_HSDS)


@pytest.fixture(scope="module")
def validate():
    """validate(instance, "compiled/service.json"): fails the test if the instance breaks the official schema."""
    if not HAVE_HSDS:
        pytest.skip(NO_HSDS)

    def check(instance, schema_name: str):
        errors = schema_errors(instance, schema_name)
        assert not errors, "\n".join(errors)

    return check


def check_page(validate, body: dict, item_schema: str) -> None:
    for key, kind in (("total_items", int), ("total_pages", int), ("page_number", int), ("size", int),
                      ("first_page", bool), ("last_page", bool), ("empty", bool), ("contents", list)):
        assert isinstance(body[key], kind), key
    assert body["size"] == len(body["contents"])
    for item in body["contents"]:
        validate(item, item_schema)


@pytest.fixture
def taxonomy():
    seed_taxonomy()
    db.session.commit()


@pytest.fixture
def counselor(make, taxonomy):
    return make.listing(
        name="Riverside Counseling", kind="counseling", session_format="one_on_one", moderation=None,
        license_type="clinical_social_worker", license_number="LCSW-123", license_state="IL", accepting_clients=True,
        delivery=["in_person", "online"], service_area=["IL", "WI"], languages=["en", "es"], zip="60614",
        phones=[{"number": "312-555-0100", "extension": "12"}],
        schedules=[{"freq": "WEEKLY", "byday": "TU", "opens_at": time(18, 0), "closes_at": time(19, 30),
                    "timezone": "America/Chicago"}],
        how_to_join="Call to book.", cost="sliding_scale", cost_details="Sliding scale from $20.",
    )


def test_root_names_version_profile_and_openapi(client):
    body = client.get("/hsds/").get_json()
    assert body["version"] == "3.0"
    assert body["openapi_url"].endswith("openapi.json")
    profile = client.get(body["profile"].replace("http://localhost", ""))
    assert profile.status_code == 200
    attributes = profile.get_json()["attributes"]
    assert "counselor_facts" in attributes and "other_terms" in attributes
    assert set(attributes["listing_facts"]["link_types"]) == {
        "description_es", "accessibility", "moderator_credentials", "privacy_policy_url", "records_sessions",
        "anonymity_allowed", "medical_advice_policy", "is_demo"}


@needs_hsds
def test_full_service_validates_and_maps_our_fields(client, counselor, validate):
    body = client.get(f"/hsds/services/{counselor.hsds_id}").get_json()
    validate(body, "compiled/service.json")
    assert body["organization_id"] == counselor.organization.hsds_id
    assert body["application_process"] == "Call to book."
    assert body["fees_description"] == "Sliding scale from $20."
    assert body["assured_date"] == counselor.last_verified.isoformat()
    assert {lang["code"]: lang["name"] for lang in body["languages"]} == {"en": "English", "es": "Spanish"}
    assert sorted(a["name"] for a in body["service_areas"]) == ["IL", "WI"]
    schedule = body["schedules"][0]
    assert (schedule["freq"], schedule["byday"], schedule["opens_at"], schedule["closes_at"]) == ("WEEKLY", "TU", "18:00", "19:30")
    assert schedule["timezone"] in (-5, -6)
    assert body["phones"][0]["extension"] == 12
    location = body["service_at_locations"][0]["location"]
    assert location["addresses"][0]["postal_code"] == "60614"
    assert isinstance(location["latitude"], float)

    by_type = {}
    for attribute in body["attributes"]:
        assert attribute["link_entity"] == "service" and attribute["link_id"] == counselor.hsds_id
        by_type.setdefault(attribute["link_type"], []).append(attribute["value"])
    assert by_type["kind"] == ["counseling"]
    assert sorted(by_type["delivery"]) == ["in_person", "online"]
    assert by_type["license_type"] == ["clinical_social_worker"]
    assert by_type["license_number"] == ["LCSW-123"]
    assert by_type["license_state"] == ["IL"]
    assert sorted(by_type["telehealth_state"]) == ["IL", "WI"]
    term = db.session.scalar(db.select(TaxonomyTerm).filter_by(field="kind", code="counseling"))
    kind = next(a for a in body["attributes"] if a["link_type"] == "kind")
    assert kind["taxonomy_term_id"] == term.hsds_id
    # The ids we derive are stable from one response to the next.
    assert client.get(f"/hsds/services/{counselor.hsds_id}").get_json() == body


@needs_hsds
def test_service_list_is_a_page_of_valid_services(client, make, validate, taxonomy):
    for _ in range(3):
        make.listing()
    body = client.get("/hsds/services?per_page=2").get_json()
    check_page(validate, body, "compiled/service_list.json")
    assert (body["total_items"], body["total_pages"], body["size"]) == (3, 2, 2)
    assert body["first_page"] and not body["last_page"] and not body["empty"]
    second = client.get("/hsds/services?per_page=2&page=2").get_json()
    assert second["size"] == 1 and second["last_page"] and not second["first_page"]
    assert not {s["id"] for s in body["contents"]} & {s["id"] for s in second["contents"]}
    beyond = client.get("/hsds/services?per_page=2&page=9").get_json()
    assert beyond["empty"] and beyond["contents"] == []
    full = client.get("/hsds/services?full=true").get_json()
    check_page(validate, full, "compiled/service.json")
    assert all("attributes" in s for s in full["contents"])
    minimal = client.get("/hsds/services?minimal=true").get_json()
    assert set(minimal["contents"][0]) == {"id", "name", "status", "last_modified"}


def test_services_filters_combine_with_and(client, make, taxonomy):
    org = make.organization(name="Lakeside Cancer Center")
    make.listing(name="Breast table", organization=org, delivery=["in_person"], zip="60614", cancer_type=["breast"])
    breast_online = make.listing(name="Breast circle", organization=org, delivery=["online"], cancer_type=["breast"])
    make.listing(name="Lung circle", delivery=["online"], cancer_type=["lung"])
    online = db.session.scalar(db.select(TaxonomyTerm).filter_by(field="delivery", code="online")).hsds_id
    breast = db.session.scalar(db.select(TaxonomyTerm).filter_by(field="cancer_type", code="breast")).hsds_id

    def names(query: str) -> list[str]:
        return sorted(s["name"] for s in client.get(f"/hsds/services?{query}").get_json()["contents"])

    assert names(f"taxonomy_term_id={online}") == ["Breast circle", "Lung circle"]
    assert names(f"taxonomy_term_id={breast}") == ["Breast circle", "Breast table"]
    assert names(f"taxonomy_term_id={online}&organization_id={org.hsds_id}") == ["Breast circle"]
    assert names("search=circle") == ["Breast circle", "Lung circle"]
    assert names(f"search=circle&organization_id={org.hsds_id}") == ["Breast circle"]
    assert names("taxonomy_term_id=not-a-term") == []
    taxonomy_id = db.session.scalar(db.select(TaxonomyTerm)).taxonomy.hsds_id
    assert len(names(f"taxonomy_id={taxonomy_id}")) == 3
    assert names("taxonomy_id=unknown") == []
    breast_online.updated_at = datetime(2030, 1, 2)
    db.session.commit()
    assert names("modified_after=2030-01-01T00:00:00Z") == ["Breast circle"]


@needs_hsds
def test_listing_facts_are_attributes_on_our_terms(client, make, validate, taxonomy):
    from directory.seeding import LISTING_FACT_FIELD, LISTING_FACT_TERMS

    group = make.listing(name="Evening video circle", delivery=["online"], description_es="Un círculo por video.",
                         accessibility="Captions on every meeting", moderator_credentials="Trained peer leaders",
                         privacy_policy_url="https://example.org/privacy", records_sessions=False,
                         anonymity_allowed=True, medical_advice_policy="No medical advice.", is_demo=True)
    make.listing(name="Plain circle")
    body = client.get(f"/hsds/services/{group.hsds_id}").get_json()
    validate(body, "compiled/service.json")
    facts = {a["link_type"]: a for a in body["attributes"] if a.get("taxonomy_term", {}).get("code", "")
             .startswith(LISTING_FACT_FIELD + ":")}
    assert set(facts) == set(LISTING_FACT_TERMS)
    assert {name: a["value"] for name, a in facts.items()} == {
        "description_es": "Un círculo por video.", "accessibility": "Captions on every meeting",
        "moderator_credentials": "Trained peer leaders", "privacy_policy_url": "https://example.org/privacy",
        "records_sessions": "false", "anonymity_allowed": "true", "medical_advice_policy": "No medical advice.",
        "is_demo": "true"}
    plain = client.get("/hsds/services?full=true&search=plain").get_json()["contents"][0]
    assert not {a["link_type"] for a in plain["attributes"]} & set(LISTING_FACT_TERMS)  # says nothing, not "false"
    # A fact's term finds the listings that state the fact.
    demo_term = facts["is_demo"]["taxonomy_term_id"]
    assert [s["name"] for s in client.get(f"/hsds/services?taxonomy_term_id={demo_term}").get_json()["contents"]] \
        == ["Evening video circle"]


def test_a_kept_foreign_term_finds_its_listings(client, make, taxonomy):
    kept = [{"id": "attr-1", "link_type": "eligibility", "value": "veterans",
             "term": {"id": "t-vet", "code": "VET", "name": "Veterans"},
             "taxonomy": {"id": "tax-oe", "name": "Open Eligibility"}}]
    make.listing(name="Veterans circle", other_terms=kept)
    make.listing(name="Other circle", other_terms=[{"id": "attr-2", "link_type": "x", "value": "t-vet"}])
    make.listing(name="Plain circle", other_terms=None)  # JSON null, which PostgreSQL cannot take apart

    def names(query: str) -> list[str]:
        return sorted(s["name"] for s in client.get(f"/hsds/services?{query}").get_json()["contents"])

    assert names("taxonomy_term_id=t-vet") == ["Veterans circle"]
    assert names("taxonomy_id=tax-oe") == ["Veterans circle"]
    assert names("taxonomy_term_id=attr-1") == []  # an attribute's id is not a term's
    assert names("taxonomy_term_id=t-none") == []


def test_ndjson_streams_every_result(client, make):
    for _ in range(3):
        make.listing()
    response = client.get("/hsds/services?format=ndjson&per_page=1")
    assert response.mimetype == "application/x-ndjson"
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert len(lines) == 3 and all("id" in line for line in lines)


@needs_hsds
def test_organizations(client, make, validate):
    org = make.organization(name="Hope House")
    make.listing(organization=org, zip="60614")
    make.listing(organization=make.organization(name="Only pending"), status="pending")
    body = client.get("/hsds/organizations").get_json()
    check_page(validate, body, "compiled/organization_list.json")
    assert [o["name"] for o in body["contents"]] == ["Hope House"]
    full = client.get(f"/hsds/organizations/{org.hsds_id}").get_json()
    validate(full, "compiled/organization.json")
    assert len(full["services"]) == 1 and len(full["locations"]) == 1
    validate(client.get(f"/hsds/organizations/{org.hsds_id}?full_service=true").get_json(), "compiled/organization.json")
    check_page(validate, client.get("/hsds/organizations?full=true").get_json(), "compiled/organization.json")


@needs_hsds
def test_service_at_locations_near_a_postcode(client, make, validate, taxonomy):
    chicago = make.listing(name="Lincoln Park group", zip="60614")
    make.listing(name="Evanston group", zip="60201")  # about 15 km north
    make.listing(name="Springfield group", zip="62701")  # about 280 km away
    body = client.get("/hsds/service_at_locations").get_json()
    check_page(validate, body, "compiled/service_at_location_list.json")
    assert body["total_items"] == 3

    def names(query: str) -> list[str]:
        found = client.get(f"/hsds/service_at_locations?{query}").get_json()["contents"]
        return [s["service"]["name"] for s in found]

    assert names("postcode=60614&proximity=5000") == ["Lincoln Park group"]
    assert names("postcode=60614&proximity=30000") == ["Lincoln Park group", "Evanston group"]
    assert names("postcode=62701") == ["Springfield group"]
    assert names(f"postcode=60614&proximity=30000&organization_id={chicago.organization.hsds_id}") == ["Lincoln Park group"]
    sal_id = chicago.service_at_locations[0].hsds_id
    detail = client.get(f"/hsds/service_at_locations/{sal_id}").get_json()
    validate(detail, "compiled/service_at_location.json")
    assert detail["location"]["addresses"][0]["postal_code"] == "60614"


@needs_hsds
def test_taxonomies_and_terms(client, validate, taxonomy):
    body = client.get("/hsds/taxonomies").get_json()
    check_page(validate, body, "taxonomy.json")
    taxonomy_id = body["contents"][0]["id"]
    validate(client.get(f"/hsds/taxonomies/{taxonomy_id}").get_json(), "taxonomy.json")
    terms = client.get(f"/hsds/taxonomy_terms?taxonomy_id={taxonomy_id}&per_page=100").get_json()
    check_page(validate, terms, "taxonomy_term.json")
    assert terms["total_items"] == db.session.scalar(db.select(db.func.count()).select_from(TaxonomyTerm))
    online = client.get("/hsds/taxonomy_terms?search=delivery:online").get_json()["contents"]
    assert [t["code"] for t in online] == ["delivery:online"]
    validate(client.get(f"/hsds/taxonomy_terms/{online[0]['id']}").get_json(), "taxonomy_term.json")
    assert client.get("/hsds/taxonomy_terms?parent_id=x").get_json()["empty"]


def test_unpublished_listings_never_appear(client, make, taxonomy):
    hidden = [make.listing(status=status, zip="60614") for status in ("pending", "rejected", "draft", "archived")]
    hidden.append(make.listing(zip="60614", last_verified=datetime.now().date() - timedelta(days=800)))
    for path in ("/hsds/services", "/hsds/services?full=true", "/hsds/organizations?full=true",
                 "/hsds/service_at_locations", "/hsds/service_at_locations?postcode=60614&proximity=1000",
                 "/hsds/services?format=ndjson", "/hsds/service_at_locations?format=ndjson"):
        text = client.get(path).get_data(as_text=True)
        for listing in hidden:
            assert listing.hsds_id not in text and listing.name not in text, path
    for listing in hidden:
        assert client.get(f"/hsds/services/{listing.hsds_id}").status_code == 404
        assert client.get(f"/hsds/organizations/{listing.organization.hsds_id}").status_code == 404
        assert client.get(f"/hsds/service_at_locations/{listing.service_at_locations[0].hsds_id}").status_code == 404


@pytest.mark.parametrize("path", [
    "/hsds/services/00000000-0000-0000-0000-000000000000", "/hsds/services/" + "x" * 300,
    "/hsds/organizations/nope", "/hsds/service_at_locations/nope", "/hsds/taxonomies/nope",
    "/hsds/taxonomy_terms/nope",
])
def test_unknown_id_is_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("query, field", [
    ("/hsds/services?page=0", "page"), ("/hsds/services?page=abc", "page"), ("/hsds/services?per_page=101", "per_page"),
    ("/hsds/services?per_page=-1", "per_page"), ("/hsds/services?full=maybe", "full"),
    ("/hsds/services?minimal=2", "minimal"), ("/hsds/services?format=xml", "format"),
    ("/hsds/services?modified_after=yesterday", "modified_after"), ("/hsds/services?page=1&page=2", "page"),
    ("/hsds/services?search=" + "a" * 201, "search"), ("/hsds/services?search=%00", "search"),
    ("/hsds/service_at_locations?postcode=abc", "postcode"), ("/hsds/service_at_locations?postcode=00000", "postcode"),
    ("/hsds/service_at_locations?proximity=100", "proximity"),
    ("/hsds/service_at_locations?postcode=60614&proximity=-5", "proximity"),
    ("/hsds/service_at_locations?postcode=60614&proximity=nan", "proximity"),
    ("/hsds/service_at_locations?postcode=60614&proximity=1e99", "proximity"),
    ("/hsds/organizations?full_service=x", "full_service"), ("/hsds/taxonomy_terms?top_only=x", "top_only"),
    ("/hsds/taxonomies?per_page=0", "per_page"),
])
def test_bad_parameters_are_json_400(client, query, field):
    response = client.get(query)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["field"] == field and error["code"] and error["message"]
