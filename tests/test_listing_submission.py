"""Coordinators submit listings: one form for every vocabulary field, drafts, ownership, hostile input."""
from __future__ import annotations

import io
import re
from datetime import date

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from directory.extensions import db
from directory.geo import lookup_zip
from directory.listing_data import FIELDS
from directory.models import AuditEvent, Listing, ListingRevision, User
from tests.listing_forms import counselor, support_group

NEW = "/coordinator/listings/new"


def post_listing(client, auth, values: dict, action: str = "submit", path: str = NEW):
    return client.post(path, data={**values, "csrf_token": auth.csrf_token(path), "action": action})


def field_error(html: str, name: str) -> str | None:
    match = re.search(rf'<p class="field-error" id="{name}-error">([^<]*)</p>', html)
    return match.group(1) if match else None


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def coordinator(make, auth):
    user = make.user("coordinator")
    auth.login(user.email)
    return user


# -- the form ----------------------------------------------------------------------------------------

def test_the_form_has_every_vocabulary_field_under_its_name(client, coordinator):
    page = client.get(NEW).get_data(as_text=True)
    for name in FIELDS:
        assert f'name="{name}"' in page, name
    assert 'value="draft"' in page and 'value="submit"' in page
    assert 'name="csrf_token"' in page


def test_submitting_files_a_pending_listing_with_every_value(client, auth, coordinator):
    response = post_listing(client, auth, support_group())
    assert response.status_code == 302 and response.headers["Location"].endswith("/coordinator/")
    listing = db.session.scalar(select(Listing))
    assert listing.status == "pending" and listing.organization_id == coordinator.organization_id
    assert listing.name == "Hope Circle" and listing.kind == "support_program" and listing.session_format == "group"
    assert listing.delivery == ["in_person", "online"]
    assert sorted(listing.audience) == ["caregivers", "patients"] and listing.cancer_type == ["breast"]
    assert listing.languages == ["en", "es"] and listing.journey_stage == ["in_treatment"]
    assert listing.moderation == "licensed_professional" and listing.online_mode == "video"
    assert listing.records_sessions is False and listing.anonymity_allowed is True
    assert listing.privacy_policy_url == "https://example.org/privacy"
    assert listing.phones[0].number == "312-555-0100"
    schedule = listing.schedules[0]
    assert (schedule.freq, schedule.byday, schedule.timezone) == ("WEEKLY", "TU", "America/Chicago")
    assert schedule.opens_at.strftime("%H:%M") == "18:00" and schedule.closes_at.strftime("%H:%M") == "19:30"
    place = listing.locations[0]
    centroid = lookup_zip("60614")
    assert (place.city, place.state, place.postal_code) == ("Chicago", "IL", "60614")
    assert (place.latitude, place.longitude) == (centroid.lat, centroid.lon)
    revision = db.session.scalar(select(ListingRevision))
    assert revision.status == "pending" and revision.is_new_listing and revision.submitted_by_id == coordinator.id
    assert revision.data["name"] == "Hope Circle"


def test_a_monthly_meeting_keeps_its_week(client, auth, coordinator):
    post_listing(client, auth, support_group(freq="monthly", week_of_month="1", byday=["TH"]))
    schedule = db.session.scalar(select(Listing)).schedules[0]
    assert (schedule.freq, schedule.byday) == ("MONTHLY", "1TH")


def test_a_counselor_gives_license_and_telehealth_states(client, auth, coordinator):
    assert post_listing(client, auth, counselor()).status_code == 302
    listing = db.session.scalar(select(Listing))
    assert (listing.kind, listing.license_type, listing.license_number, listing.license_state) == (
        "counseling", "psychologist", "PSY-12345", "IL")
    assert listing.telehealth_states == ["IL", "WI"] and listing.accepting_clients is True
    assert listing.is_remote_only


def test_a_remote_program_serves_states_or_the_whole_country(client, auth, coordinator):
    remote = dict(delivery=["online"], address_1="", city="", state="", postal_code="")
    response = post_listing(client, auth, support_group(**remote, service_area=[]))
    assert response.status_code == 400 and field_error(response.get_data(as_text=True), "service_area")
    assert post_listing(client, auth, support_group(**remote, nationwide="y")).status_code == 302
    assert db.session.scalar(select(Listing)).service_area == ["US"]


def test_a_draft_needs_only_a_name_and_kind(client, auth, coordinator):
    response = post_listing(client, auth, {"name": "Half done", "kind": "support_program",
                                           "session_format": "group"}, action="draft")
    assert response.status_code == 302
    listing = db.session.scalar(select(Listing))
    assert listing.status == "draft" and listing.name == "Half done"
    assert count(ListingRevision) == 0
    again = post_listing(client, auth, support_group(name="Half done, now whole"), path=f"/coordinator/listings/{listing.id}/edit")
    assert again.status_code == 302
    db.session.refresh(listing)
    assert listing.status == "pending" and listing.name == "Half done, now whole"


def test_an_incomplete_submission_says_what_is_missing_beside_each_field(client, auth, coordinator):
    values = support_group(description="", phone="", email="", url="", cancer_type=[], postal_code="", moderation="")
    response = post_listing(client, auth, values)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    for name in ("description", "phone", "cancer_type", "postal_code", "moderation"):
        assert field_error(html, name), name
    assert 'aria-invalid="true"' in html and 'class="error-summary"' in html
    assert count(Listing) == 0 and count(ListingRevision) == 0 and count(AuditEvent) == 1  # the login only
    assert 'value="Hope Circle"' in html  # what was typed is kept


def test_an_address_without_a_zip_code_is_not_dropped_silently(client, auth, coordinator):
    response = post_listing(client, auth, {"name": "Half done", "kind": "support_program", "session_format": "group",
                                           "address_1": "1 Main St", "city": "Chicago"}, action="draft")
    assert response.status_code == 400
    assert "Give the ZIP code too" in field_error(response.get_data(as_text=True), "postal_code")
    assert count(Listing) == 0


@pytest.mark.parametrize("zip_code, message", [
    ("00000", "We do not know the ZIP code 00000"),
    ("6061", "Enter a 5-digit US ZIP code"),
    ("10001", "The ZIP code 10001 is in NY, not IL."),
])
def test_a_bad_zip_code_is_an_error_on_the_zip_field(client, auth, coordinator, zip_code, message):
    response = post_listing(client, auth, support_group(postal_code=zip_code))
    assert response.status_code == 400
    assert message in (field_error(response.get_data(as_text=True), "postal_code") or "")
    assert count(Listing) == 0


def test_posted_extra_fields_are_ignored(client, auth, coordinator, make):
    other_org = make.organization()
    db.session.commit()
    extras = {"status": "approved", "organization_id": str(other_org.id), "role": "admin", "is_demo": "true",
              "id": "999", "hsds_id": "forged", "last_verified": "2030-01-01", "is_approved": "y",
              "submitted_by_id": "1"}
    assert post_listing(client, auth, support_group(**extras)).status_code == 302
    listing = db.session.scalar(select(Listing))
    assert listing.status == "pending" and listing.organization_id == coordinator.organization_id
    assert listing.is_demo is False and listing.id != 999 and listing.hsds_id != "forged"
    assert listing.last_verified is None
    assert db.session.get(User, coordinator.id).role == "coordinator"
    assert client.get(f"/listings/{listing.id}").status_code == 404


def test_the_dashboard_lists_each_listing_with_its_status(client, auth, coordinator, make):
    make.listing(organization=coordinator.organization, name="Published group")
    make.listing(organization=coordinator.organization, name="Draft group", status="draft")
    make.listing(name="Someone else's group")
    page = client.get("/coordinator/").get_data(as_text=True)
    assert "Published group" in page and "Draft group" in page and "Someone else" not in page
    assert "Published" in page and "Draft" in page


# -- who may do what -------------------------------------------------------------------------------------

OWNER_ROUTES = [
    ("get", "/coordinator/listings/{id}/edit"),
    ("post", "/coordinator/listings/{id}/edit"),
    ("post", "/coordinator/listings/{id}/archive"),
    ("post", "/coordinator/listings/{id}/confirm"),
]


def _snapshot(listing_id: int) -> tuple:
    db.session.expire_all()
    listing = db.session.get(Listing, listing_id)
    return (listing.name, listing.status, listing.last_verified, listing.phones[0].number if listing.phones else None,
            count(ListingRevision), count(AuditEvent))


@pytest.mark.parametrize("method, path", OWNER_ROUTES)
def test_another_coordinator_cannot_touch_a_listing_it_does_not_own(client, auth, make, method, path):
    theirs = make.listing(name="Not yours", last_verified=date(2026, 1, 1), phones=[{"number": "312-555-0199"}])
    intruder = make.user("coordinator")
    auth.login(intruder.email)
    token = auth.csrf_token("/coordinator/")
    before = _snapshot(theirs.id)
    url = path.format(id=theirs.id)
    data = {**support_group(name="Hijacked"), "csrf_token": token, "action": "submit"}
    response = client.get(url) if method == "get" else client.post(url, data=data)
    assert response.status_code == 404
    assert _snapshot(theirs.id) == before


@pytest.mark.parametrize("method, path", OWNER_ROUTES)
def test_ids_that_do_not_exist_are_not_found(client, auth, coordinator, method, path):
    for listing_id in (0, 999_999, 2**31, 10**30):
        url = path.format(id=listing_id)
        response = client.get(url) if method == "get" else client.post(url, data={"csrf_token": auth.csrf_token("/coordinator/")})
        assert response.status_code == 404, url


@pytest.mark.parametrize("role, approved", [("caseworker", True), ("coordinator", False)])
def test_only_approved_listers_reach_the_form(client, auth, make, role, approved):
    auth.login(make.user(role, approved=approved).email)
    assert client.get(NEW).status_code == 403
    assert client.get("/coordinator/").status_code == 403


def test_signed_out_visitors_go_to_the_login_page(client):
    response = client.get(NEW)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", ["new", "edit", "archive", "confirm"])
def test_a_post_without_a_csrf_token_is_refused(client, auth, coordinator, make, path):
    mine = make.listing(organization=coordinator.organization, name="Mine", last_verified=date(2026, 1, 1))
    before = _snapshot(mine.id)
    url = NEW if path == "new" else f"/coordinator/listings/{mine.id}/{path}"
    response = client.post(url, data={**support_group(name="Changed"), "action": "submit"})
    assert response.status_code == 400
    assert _snapshot(mine.id) == before and count(Listing) == 1


# -- hostile input -------------------------------------------------------------------------------------------

MARKUP = '<script>alert("x")</script><img src=x onerror=alert(1)>'
TEXT_FIELDS = ("name", "description", "description_es", "moderator_credentials", "medical_advice_policy",
               "cost_details", "how_to_join", "license_number", "address_1", "city")


def test_markup_in_every_text_field_comes_back_escaped(client, auth, coordinator, make):
    values = counselor(**{name: MARKUP for name in TEXT_FIELDS},
                       delivery=["in_person", "online"], state="IL", postal_code="60614")
    assert post_listing(client, auth, values).status_code == 302
    listing = db.session.scalar(select(Listing))
    revision = db.session.scalar(select(ListingRevision))
    assert listing.name == MARKUP  # stored as typed, escaped on the way out
    pages = [client.get("/coordinator/"), client.get(f"/coordinator/listings/{listing.id}/edit")]
    moderator = make.user("moderator")
    auth.logout()
    auth.login(moderator.email)
    pages.append(client.get("/moderation/"))
    pages.append(client.get(f"/moderation/revisions/{revision.id}"))
    client.post(f"/moderation/revisions/{revision.id}/approve", data={"csrf_token": auth.csrf_token("/moderation/")})
    pages.append(client.get(f"/listings/{listing.id}"))
    for response in pages:
        html = response.get_data(as_text=True)
        assert response.status_code == 200, response.request.path
        assert "<script>alert" not in html and "<img src=x" not in html, response.request.path
        assert str(escape(MARKUP)) in html, response.request.path


HOSTILE = [
    ("kind", "admin", "Choose one of the options shown."),
    ("session_format", ["' OR 1=1 --", "group"], "Choose one of the options shown."),
    ("delivery", ["teleport"], "Choose from the options shown."),
    ("cancer_type", ["breast", "'; DROP TABLE listing; --"], "Choose from the options shown."),
    ("languages", ["<b>en</b>"], "Choose from the options shown."),
    ("moderation", "x" * 100_000, "Choose one of the options shown."),
    ("state", "ZZ", "Choose one of the options shown."),
    ("timezone", "Mars/Olympus_Mons", "Choose one of the options shown."),
    ("byday", ["XX"], "Choose from the options shown."),
    ("records_sessions", "maybe", "Choose one of the options shown."),
    ("name", "x" * 201, "200"),
    ("description", "y" * 1_000_000, "5000"),
    ("name", "nul\x00byte", "control characters"),
    ("opens_at", "25:99", "Not a valid time value."),
    ("closes_at", "17:00", "The end time must be after the start time."),
    ("url", "javascript:alert(1)", "https://"),
    ("privacy_policy_url", "http://", "https://"),
    ("email", "not-an-email", "Invalid email address."),
    ("phone", "call me maybe", "Enter a phone number"),
    ("phone", "1" * 41, "40"),
    ("postal_code", "'; DROP TABLE location; --", "10"),
    ("postal_code", "ABCDE", "Enter a 5-digit US ZIP code"),
]


@pytest.mark.parametrize("name, value, message", HOSTILE, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(HOSTILE)])
def test_hostile_input_gets_a_clear_message_and_nothing_is_written(client, auth, coordinator, make, name, value, message):
    published = make.listing(organization=coordinator.organization, name="Published", zip="60614")
    before = _snapshot(published.id)
    for path in (NEW, f"/coordinator/listings/{published.id}/edit"):
        response = post_listing(client, auth, support_group(**{name: value}), path=path)
        html = response.get_data(as_text=True)
        assert response.status_code == 400, (path, name)
        error = field_error(html, name)
        assert error and message in error, (path, name, error)
        assert len(html) < 200_000  # a huge value is not echoed back at length in an error message
    assert count(Listing) == 1 and _snapshot(published.id) == before


def _refusal(field) -> tuple[object, str]:
    """A value this form field cannot hold, and the message it answers with."""
    from wtforms.validators import Length

    kind = type(field).__name__
    if kind in ("MultiCheckboxField",):
        return ["<b>zz</b>"], "Choose from the options shown."
    if kind in ("CodeSelectField", "CodeRadioField"):
        return "<script>zz</script>", "Choose one of the options shown."
    if kind == "TimeField":
        return "noon-ish", "Not a valid time value."
    limit = next(v.max for v in field.validators if isinstance(v, Length))
    return "9" * (limit + 1), f"longer than {limit} characters"


def _listing_fields():
    from flask import current_app

    from directory.coordinator.forms import ListingForm

    with current_app.test_request_context():
        form = ListingForm(meta={"csrf": False})
        return [(name, *_refusal(form[name])) for name in FIELDS if name != "nationwide"]


def test_every_field_of_the_form_refuses_what_it_cannot_hold(client, auth, coordinator):
    cases = _listing_fields()
    assert len(cases) == len(FIELDS) - 1
    for name, value, message in cases:
        base = counselor() if name.startswith("license") or name in ("telehealth_states", "accepting_clients") else support_group()
        response = post_listing(client, auth, {**base, name: value})
        assert response.status_code == 400, name
        error = field_error(response.get_data(as_text=True), name)
        assert error and message in error, (name, error)
    assert count(Listing) == 0 and count(ListingRevision) == 0


def test_a_form_sent_as_json_or_with_a_file_is_refused(client, auth, coordinator):
    token = auth.csrf_token(NEW)
    as_json = client.post(NEW, json={**support_group(), "csrf_token": token, "action": "submit"})
    assert as_json.status_code == 400
    with_file = client.post(NEW, data={**support_group(), "name": (io.BytesIO(b"<script>"), "name.html"),
                                       "csrf_token": token, "action": "submit"}, content_type="multipart/form-data")
    assert with_file.status_code == 400 and field_error(with_file.get_data(as_text=True), "name")
    assert count(Listing) == 0
