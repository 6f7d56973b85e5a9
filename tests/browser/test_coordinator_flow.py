"""The whole path in Chromium: a coordinator submits, a moderator reviews, the public sees; then an edit.

Every form page (errors shown included) has no axe-core WCAG 2.1 A/AA
violations, and markup typed into a text field never runs. Screenshots go to
test-artifacts/screenshots/coordinator-*.png and moderation-*.png.
"""
from __future__ import annotations

import itertools
import re

import pytest
from sqlalchemy import select

from directory.extensions import db
from directory.models import Listing
from directory.search import published
from tests import factories

from .conftest import DESKTOP, PHONE, sign_in, assert_no_horizontal_scroll, axe_check, screenshot

pytestmark = pytest.mark.browser

MARKUP = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
NAME = "Browser Test Circle " + MARKUP
_run = itertools.count(1)


@pytest.fixture
def people(app, live_server):
    """A coordinator and a moderator, made in the live server's database."""
    n = next(_run)
    with app.app_context():
        coordinator = factories.user("coordinator", email=f"flow-coordinator-{n}@example.org")
        moderator = factories.user("moderator", email=f"flow-moderator-{n}@example.org")
        emails = coordinator.email, moderator.email
        db.session.remove()
    return emails


def _watch_dialogs(page) -> list[str]:
    dialogs: list[str] = []

    def record(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    return dialogs


def _sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()


def _fill_listing(page) -> None:
    page.fill("#name", NAME)
    page.check("#kind-0")  # support program
    page.check("#session_format-1")  # group
    page.check("#delivery-0")  # in person
    page.check("#delivery-1")  # online
    page.fill("#description", "A weekly circle, typed in a real browser. " + MARKUP)
    page.check("#audience-0")
    page.check("#cancer_type-0")  # any cancer
    page.check("#languages-0")  # English
    page.select_option("#moderation", "trained_peer")
    page.fill("#moderator_credentials", MARKUP)
    page.select_option("#online_mode", "video")
    page.check("#cost-0")  # free
    page.select_option("#freq", "weekly")
    page.check("#byday-1")  # Tuesday
    page.fill("#opens_at", "18:00")
    page.fill("#closes_at", "19:30")
    page.select_option("#timezone", "America/Chicago")
    page.fill("#address_1", "2430 N Lincoln Ave")
    page.fill("#city", "Chicago")
    page.select_option("#state", "IL")
    page.fill("#postal_code", "60614")
    page.fill("#phone", "312-555-0142")


def _listing_id(app) -> int:
    with app.app_context():
        listing_id = db.session.scalar(select(Listing.id).where(Listing.name == NAME).order_by(Listing.id.desc()))
        db.session.remove()
    return listing_id


def _open_in_queue(page, base_url: str) -> None:
    page.goto(base_url + "/moderation/")
    page.locator("#listings-heading + div table a", has_text="Browser Test Circle").first.click()
    page.wait_for_url(re.compile(r"/moderation/revisions/\d+$"))


def test_submit_review_publish_edit_and_review_again(app, live_server, new_page, people):
    coordinator, moderator = people
    page = new_page(DESKTOP)
    dialogs = _watch_dialogs(page)

    # A coordinator opens the empty form: accessible before anything is typed.
    sign_in(page, live_server, coordinator)
    page.goto(live_server + "/coordinator/listings/new")
    screenshot(page, "coordinator-new-listing")
    axe_check(page)

    # Sending it for review empty shows each problem beside its field, still accessible.
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_load_state()
    assert page.locator(".error-summary").is_visible()
    assert page.locator("#name-error").is_visible() and page.locator("#delivery-error").is_visible()
    screenshot(page, "coordinator-form-errors")
    axe_check(page)

    # Filled in, with markup in text fields, and sent.
    _fill_listing(page)
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_url(re.compile(r"/coordinator/$"))
    row = page.locator("tr", has_text="Browser Test Circle")
    assert "Waiting for review" in row.inner_text()
    assert MARKUP in row.inner_text()  # shown as text, not run
    screenshot(page, "coordinator-dashboard")
    axe_check(page)
    listing_id = _listing_id(app)
    assert page.goto(f"{live_server}/listings/{listing_id}").status == 404  # not public yet

    # A moderator reviews it: asking to send it back without a reason is an error on the field.
    _sign_out(page)
    sign_in(page, live_server, moderator)
    page.goto(live_server + "/moderation/")
    screenshot(page, "moderation-queue")
    axe_check(page)
    _open_in_queue(page, live_server)
    assert "A new listing" in page.locator("main").inner_text()
    screenshot(page, "moderation-review-new")
    axe_check(page)
    page.get_by_role("button", name="Send back with this reason").click()
    page.wait_for_load_state()
    assert page.locator("#reason-error").is_visible()
    screenshot(page, "moderation-reject-needs-reason")
    axe_check(page)
    page.get_by_role("button", name="Approve and publish").click()
    page.wait_for_url(re.compile(r"/moderation/$"))

    # The public sees it, markup and all, as text.
    _sign_out(page)
    page.goto(f"{live_server}/listings/{listing_id}")
    assert page.locator("h1").inner_text() == NAME
    assert "312-555-0142" in page.locator("main").inner_text()
    screenshot(page, "coordinator-published-listing")

    # The coordinator changes the phone: the published listing keeps the old one until review.
    sign_in(page, live_server, coordinator)
    page.goto(f"{live_server}/coordinator/listings/{listing_id}/edit")
    assert page.locator("#name").input_value() == NAME
    screenshot(page, "coordinator-edit-listing")
    axe_check(page)
    page.fill("#phone", "312-555-0143")
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_url(re.compile(r"/coordinator/$"))
    assert "Changes waiting for review" in page.locator("tr", has_text="Browser Test Circle").inner_text()
    page.goto(f"{live_server}/listings/{listing_id}")
    assert "312-555-0142" in page.locator("main").inner_text()

    # The moderator sees exactly what changed, old and new, and approves.
    _sign_out(page)
    sign_in(page, live_server, moderator)
    _open_in_queue(page, live_server)
    diff = page.locator("table.diff tbody")
    assert diff.locator("tr").count() == 1
    assert diff.locator("del").inner_text() == "312-555-0142" and diff.locator("ins").inner_text() == "312-555-0143"
    screenshot(page, "moderation-review-edit")
    axe_check(page)
    page.get_by_role("button", name="Approve and publish").click()
    page.wait_for_url(re.compile(r"/moderation/$"))
    page.goto(f"{live_server}/listings/{listing_id}")
    assert "312-555-0143" in page.locator("main").inner_text()
    assert dialogs == [], f"markup typed into a field ran: {dialogs}"


def test_the_form_fits_a_phone(live_server, new_page, people):
    coordinator, _ = people
    page = new_page(PHONE)
    sign_in(page, live_server, coordinator)
    page.goto(live_server + "/coordinator/listings/new")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state()
    assert page.locator("#name-error").is_visible()
    screenshot(page, "coordinator-form-errors-phone")
    axe_check(page)
    assert_no_horizontal_scroll(page)


def test_reporting_a_problem_from_the_listing_page(app, live_server, new_page):
    with app.app_context():
        listing_id = db.session.scalar(select(Listing.id).where(published(), Listing.is_demo).order_by(Listing.id))
        db.session.remove()
    page = new_page(PHONE)
    dialogs = _watch_dialogs(page)
    page.goto(f"{live_server}/listings/{listing_id}")
    page.get_by_text("Report a problem with this listing").click()
    page.check("#problem-0")
    page.fill("#comment", "The number rings out. " + MARKUP)
    screenshot(page, "coordinator-report-form-phone")
    axe_check(page)
    assert_no_horizontal_scroll(page)
    page.get_by_role("button", name="Send the report").click()
    page.wait_for_url(re.compile(rf"/listings/{listing_id}$"))
    assert "Thank you" in page.locator(".flashes").inner_text()
    assert dialogs == []
