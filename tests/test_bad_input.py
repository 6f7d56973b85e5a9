"""Hostile and mistaken input on the search pages and the API: a clear 400, never a 500.

The HTML pages answer 400 with the message beside the form (markup escaped,
never echoed raw); the API answers 400 with {"error": {"code", "message",
"field"}} naming the parameter at fault.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from werkzeug.datastructures import MultiDict

from directory.public.views import COUNSELOR_PARAMS
from directory.search import SEARCH_PARAMS, SearchError, parse_search_args

MARKUP = "<script>alert(1)</script>"
SQL = "' OR 1=1 --"

# (id, query pairs, the field at fault)
BAD = [
    ("unknown-zip", [("zip", "00000")], "zip"),
    ("unknown-zip-99999", [("zip", "99999")], "zip"),
    ("letters-zip", [("zip", "abcde")], "zip"),
    ("two-zips", [("zip", "60614"), ("zip", "10001")], "zip"),
    ("markup-zip", [("zip", MARKUP)], "zip"),
    ("sql-zip", [("zip", SQL)], "zip"),
    ("huge-zip", [("zip", "6" * 10_000)], "zip"),
    ("foreign-digits-zip", [("zip", "٦٠٦١٤")], "zip"),
    ("radius-0", [("zip", "60614"), ("radius", "0")], "radius"),
    ("radius-negative", [("zip", "60614"), ("radius", "-5")], "radius"),
    ("radius-501", [("zip", "60614"), ("radius", "501")], "radius"),
    ("radius-1e308", [("zip", "60614"), ("radius", "1e308")], "radius"),
    ("radius-nan", [("zip", "60614"), ("radius", "nan")], "radius"),
    ("radius-inf", [("zip", "60614"), ("radius", "inf")], "radius"),
    ("radius-minus-inf", [("zip", "60614"), ("radius", "-inf")], "radius"),
    ("radius-abc", [("zip", "60614"), ("radius", "abc")], "radius"),
    ("radius-huge", [("zip", "60614"), ("radius", "9" * 10_000)], "radius"),
    ("radius-markup", [("zip", "60614"), ("radius", MARKUP)], "radius"),
    ("radius-twice", [("zip", "60614"), ("radius", "5"), ("radius", "10")], "radius"),
    ("page-billion", [("zip", "60614"), ("page", "1000000000")], "page"),
    ("page-0", [("zip", "60614"), ("page", "0")], "page"),
    ("page-negative", [("zip", "60614"), ("page", "-1")], "page"),
    ("page-fraction", [("zip", "60614"), ("page", "1.5")], "page"),
    ("page-superscript", [("zip", "60614"), ("page", "²")], "page"),
    ("page-sql", [("zip", "60614"), ("page", SQL)], "page"),
    ("per-page-101", [("zip", "60614"), ("per_page", "101")], "per_page"),
    ("per-page-0", [("zip", "60614"), ("per_page", "0")], "per_page"),
    ("per-page-huge", [("zip", "60614"), ("per_page", "9" * 5000)], "per_page"),
    ("accepting-maybe", [("zip", "60614"), ("accepting_clients", "maybe")], "accepting_clients"),
    ("accepting-markup", [("zip", "60614"), ("accepting_clients", MARKUP)], "accepting_clients"),
    ("q-201-chars", [("zip", "60614"), ("q", "x" * 201)], "q"),
    ("q-huge", [("zip", "60614"), ("q", "support " * 20_000)], "q"),
    ("q-nul", [("zip", "60614"), ("q", "a\x00b")], "q"),
    ("21-deliveries", [("zip", "60614")] + [("delivery", "online")] * 21, "delivery"),
    ("delivery-markup", [("zip", "60614"), ("delivery", MARKUP)], "delivery"),
    ("delivery-sql", [("zip", "60614"), ("delivery", SQL)], "delivery"),
    ("delivery-huge", [("zip", "60614"), ("delivery", "x" * 10_000)], "delivery"),
    ("delivery-one-bad-among-good", [("zip", "60614"), ("delivery", "online"), ("delivery", "fax")], "delivery"),
]
CODE_FIELDS = ["kind", "session_format", "delivery", "moderation", "online_mode", "membership", "audience",
               "journey_stage", "cancer_type", "cost", "language", "license_type"]
BAD += [(f"unknown-{name}", [("zip", "60614"), (name, "nonsense")], name) for name in CODE_FIELDS]
BAD += [(f"markup-{name}", [(name, MARKUP)], name) for name in CODE_FIELDS]

ENDPOINTS = ["/search", "/api/v1/search", "/counselors"]


def expected_status(path: str, field: str) -> int:
    """/counselors honours only its own parameters (it fixes kind itself) and ignores the rest."""
    if path == "/counselors" and field not in COUNSELOR_PARAMS:
        return 200
    return 400


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("pairs, field", [pytest.param(pairs, field, id=name) for name, pairs, field in BAD])
def test_bad_input_is_a_clear_400(client, make, path, pairs, field):
    make.listing(zip="60614")
    with pytest.raises(SearchError) as info:
        parse_search_args(MultiDict(pairs))
    assert info.value.field == field
    message = info.value.message

    response = client.get(path, query_string=pairs)
    body = response.get_data(as_text=True)
    assert response.status_code == expected_status(path, field), body[:500]

    if path.startswith("/api/"):
        # Markup may come back inside a JSON string; nosniff keeps browsers from reading it as HTML.
        assert response.mimetype == "application/json"
        assert response.headers.get("X-Content-Type-Options") == "nosniff"
        error = response.json["error"]
        assert set(error) == {"code", "message", "field"}
        assert error["field"] == field
        assert error["code"] and isinstance(error["code"], str)
        assert error["message"] == message
    else:
        assert MARKUP not in body
    if not path.startswith("/api/") and response.status_code == 400:
        assert response.mimetype == "text/html"
        assert str(escape(message)) in body
        assert len(body) < 200_000  # a huge input is not echoed back at length


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("pairs", [
    pytest.param([("zip", "60614-1234")], id="zip+4"),
    pytest.param([("zip", "606141234")], id="zip+4-no-dash"),
    pytest.param([("zip", " 60614 ")], id="padded-zip"),
    pytest.param([("zip", "60614"), ("q", MARKUP)], id="markup-in-q"),
    pytest.param([("zip", "60614"), ("q", SQL)], id="sql-in-q"),
    pytest.param([("zip", "60614"), ("q", "x" * 200)], id="q-200-chars"),
    pytest.param([("zip", "60614"), ("q", '"support" OR NEAR(a b) * ^col:x """ -')], id="fts5-syntax-in-q"),
    pytest.param([("q", '"support" OR NEAR(a b) * ^col:x """ -')], id="fts5-syntax-in-q-no-zip"),
    pytest.param([("zip", "60614")] + [("delivery", "online")] * 20, id="20-deliveries"),
    pytest.param([("zip", "60614"), ("radius", "1")], id="radius-1"),
    pytest.param([("zip", "60614"), ("radius", "500")], id="radius-500"),
    pytest.param([("zip", "60614"), ("radius", "12.5")], id="radius-fraction"),
    pytest.param([("zip", "60614"), ("page", "10000")], id="page-10000"),
    pytest.param([("zip", "60614"), ("per_page", "100")], id="per-page-100"),
    pytest.param([("zip", ""), ("radius", "")], id="empty-values"),
    pytest.param([("unknown_param", MARKUP)], id="unknown-param"),
])
def test_odd_but_valid_input_is_answered(client, make, path, pairs):
    item = make.listing(zip="60614", delivery=["online"])
    response = client.get(path, query_string=pairs)
    body = response.get_data(as_text=True)
    assert response.status_code == 200, body[:500]
    if not path.startswith("/api/"):
        assert MARKUP not in body
    if path.startswith("/api/") and dict(pairs).get("zip"):
        assert response.json["center"]["zip"] == "60614"
    # The SQL text found nothing and broke nothing: the listing is still there.
    assert client.get(f"/api/v1/listings/{item.id}").status_code == 200


def test_markup_in_q_is_kept_in_the_form_but_escaped(client):
    body = client.get("/search", query_string={"zip": "60614", "q": MARKUP}).get_data(as_text=True)
    assert MARKUP not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_html_error_keeps_the_form_and_marks_the_field(client):
    response = client.get("/search?zip=abcde&delivery=online")
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'aria-invalid="true"' in body
    assert 'value="abcde"' in body  # what the user typed stays, to be corrected


@pytest.mark.parametrize("path", [
    "/listings/abc", "/listings/99999999999999999999", "/listings/2147483648", "/listings/0", "/listings/-1",
    "/listings/1.5", "/listings/%3Cscript%3E", "/listings/1", "/api/v1/listings/abc",
    "/api/v1/listings/99999999999999999999", "/api/v1/listings/2147483648", "/api/v1/listings/0",
    "/api/v1/listings/1",
])
def test_bad_listing_ids_are_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    if path.startswith("/api/"):
        assert response.is_json
        assert response.json["error"]["code"]


# -- fuzz: whatever arrives, the answer is 200 or 400 ---------------------------------------

values = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30),
    st.sampled_from(["60614", "99546", "00000", "1", "0", "-1", "500", "501", "nan", "1e308", "true", "maybe",
                     "online", "any", "breast", "counseling", MARKUP, SQL, "%", "_", "\\"]),
    st.from_regex(r"\d{1,12}(\.\d{1,3})?", fullmatch=True),
)
query = st.lists(st.tuples(st.sampled_from(SEARCH_PARAMS), values), max_size=8)


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(pairs=query)
def test_nothing_ever_500s(client, pairs):
    for path in ENDPOINTS:
        response = client.get(path, query_string=pairs)
        assert response.status_code in (200, 400), (path, pairs, response.status_code)
        if path.startswith("/api/") and response.status_code == 400:
            assert response.json["error"]["field"] in SEARCH_PARAMS
