"""The public pages in real headless Chromium, at a 375-px phone width and a 1280-px desktop width.

Every page: no axe-core WCAG 2.1 A/AA violations, a full-page screenshot in
test-artifacts/screenshots/, and no sideways scrolling on the phone. Then the
things a patient relies on: the ZIP form by keyboard, choices that stay,
pages that work without JavaScript, a clean printout, and escaped input.
"""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from .conftest import DESKTOP, PHONE, assert_no_horizontal_scroll, axe_check, screenshot

pytestmark = pytest.mark.browser

HELPLINE = "1-800-227-2345"
RESULTS_URL = "/search?zip=60614&radius=25"
EMPTY_URL = "/search?zip=59001&radius=5&kind=counseling&license_type=psychiatrist&delivery=in_person"
FORUM_SEARCH_URL = "/search?zip=60614&radius=25&delivery=online&moderation=unmoderated&online_mode=forum"
BAD_ZIP_URL = "/search?zip=abcde"
VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}

PAGES = {
    "home": ("/", 200),
    "search-results": (RESULTS_URL, 200),
    "search-empty": (EMPTY_URL, 200),
    "counselors": ("/counselors", 200),
    "counselors-psychologists-10001": ("/counselors?zip=10001&license_type=psychologist", 200),
    "guidance-online-groups": ("/guidance/online-groups", 200),
    "search-bad-zip": (BAD_ZIP_URL, 400),
}


def _open(page, base_url: str, path: str, status: int = 200):
    response = page.goto(base_url + path)
    assert response is not None and response.status == status, f"{path}: HTTP {response and response.status}"
    return response


def _check_page(page, name: str, viewport_name: str) -> None:
    """What every page owes a patient: accessible, captured, and no sideways scroll on a phone."""
    screenshot(page, f"{name}-{viewport_name}")
    axe_check(page)
    if viewport_name == "phone":
        assert_no_horizontal_scroll(page)


def _open_forum_listing(page, base_url: str) -> None:
    """Find an online, unmoderated message board through the search and open it."""
    _open(page, base_url, FORUM_SEARCH_URL)
    first = page.locator(".result-list .result h3 a").first
    assert first.count() == 1, "the demo data should hold an unmoderated online forum that serves 60614"
    first.click()
    page.wait_for_url(re.compile(r"/listings/\d+$"))


# -- every page, both widths ------------------------------------------------------------------------

@pytest.mark.parametrize("viewport_name", VIEWPORTS)
@pytest.mark.parametrize("name", PAGES)
def test_page_is_accessible_and_fits(new_page, live_server, name, viewport_name):
    page = new_page(VIEWPORTS[viewport_name])
    path, status = PAGES[name]
    _open(page, live_server, path, status)
    assert page.locator("h1").count() == 1
    assert page.locator(".site-footer .helpline a[href^='tel:']").inner_text() == HELPLINE
    _check_page(page, name, viewport_name)


@pytest.mark.parametrize("viewport_name", VIEWPORTS)
def test_forum_listing_page_cautions_about_medical_information_first(new_page, live_server, viewport_name):
    page = new_page(VIEWPORTS[viewport_name])
    _open_forum_listing(page, live_server)
    first_note = page.locator(".guidance-panel .notes .note").first
    assert "note-caution" in first_note.get_attribute("class")
    assert "medical information" in first_note.inner_text()
    assert page.locator(".checklist-panel .checklist li").count() > 0, "online listings show the checklist"
    if viewport_name == "phone":
        caution_top = first_note.bounding_box()["y"]
        assert caution_top < page.locator("#facts-heading").bounding_box()["y"], "the caution comes before the details"
        assert caution_top < 1.5 * PHONE["height"], "the caution is within about a screen of the top"
    if "(demo)" in page.locator("h1").inner_text():
        assert page.locator(".demo-banner").is_visible()
    _check_page(page, "listing-online-forum", viewport_name)


# -- what each page must say -----------------------------------------------------------------------

def test_search_results_list_nearby_listings_and_mark_demos(phone_page, live_server):
    _open(phone_page, live_server, RESULTS_URL)
    assert "60614" in phone_page.locator("#results-heading").inner_text()
    results = phone_page.locator(".result-list > li")
    assert results.count() > 0
    demo_cards = phone_page.locator(".result", has=phone_page.locator(".badge-demo"))
    if phone_page.locator(".result h3", has_text="(demo)").count():
        assert demo_cards.count() > 0, "demo listings carry a visible Demo badge"
        assert demo_cards.first.locator(".badge-demo").is_visible()
    assert phone_page.locator(".site-footer .helpline").is_visible()


def test_empty_search_offers_the_helpline_and_other_ways(phone_page, live_server):
    _open(phone_page, live_server, EMPTY_URL)
    empty = phone_page.locator(".empty-state")
    assert empty.is_visible()
    assert empty.locator("a", has_text="Look farther").count() == 1
    online = empty.locator("a", has_text="online or by phone")
    assert online.count() == 1
    assert "delivery=online" in online.get_attribute("href")
    assert empty.locator("a[href^='tel:']", has_text=HELPLINE).is_visible()


def test_bad_zip_explains_what_is_wrong(phone_page, live_server):
    _open(phone_page, live_server, BAD_ZIP_URL, status=400)
    assert phone_page.locator(".error-summary[role='alert']").is_visible()
    zip_field = phone_page.locator("#zip")
    assert zip_field.get_attribute("aria-invalid") == "true"
    assert zip_field.input_value() == "abcde", "the user's input stays in the box to correct"
    assert phone_page.locator("#zip-error").is_visible()
    assert "zip-error" in zip_field.get_attribute("aria-describedby")


def test_counselor_search_for_psychologists_near_10001(phone_page, live_server):
    _open(phone_page, live_server, "/counselors?zip=10001&license_type=psychologist")
    assert phone_page.locator(".type-card").count() == 5
    assert phone_page.locator("input[name=license_type][value=psychologist]").is_checked()
    for card in phone_page.locator(".result-list .result").all():
        assert "Psychologist" in card.locator(".facts").inner_text()


# -- how it behaves --------------------------------------------------------------------------------

def test_home_zip_form_works_by_keyboard_alone(phone_page, live_server):
    _open(phone_page, live_server, "/")
    for _ in range(25):
        phone_page.keyboard.press("Tab")
        if phone_page.evaluate("document.activeElement && document.activeElement.id") == "home-zip":
            break
    else:
        pytest.fail("Tab never reached the ZIP field on the home page")
    phone_page.keyboard.type("60614")
    phone_page.keyboard.press("Enter")
    phone_page.wait_for_url(re.compile(r"/search\?.*zip=60614"))
    assert "60614" in phone_page.locator("#results-heading").inner_text()
    assert phone_page.locator(".result-list > li").count() > 0
    # On a phone the search form fills a screen: a search lands on the results heading, not above the form.
    top = phone_page.locator("#results-heading").evaluate("el => el.getBoundingClientRect().top")
    assert -2 <= top < PHONE["height"] / 2


def test_skip_link_is_first_and_moves_focus_to_main(phone_page, live_server):
    _open(phone_page, live_server, "/")
    phone_page.keyboard.press("Tab")
    skip = phone_page.locator(".skip-link")
    assert skip.evaluate("el => el === document.activeElement")
    box = skip.bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0, "the focused skip link is on screen"
    phone_page.keyboard.press("Enter")
    assert phone_page.evaluate("document.activeElement.id") == "main"


def test_search_form_keeps_the_users_choices(desktop_page, live_server):
    page = desktop_page
    _open(page, live_server, "/search")
    page.fill("#zip", "60614")
    page.select_option("#radius", "50")
    page.get_by_role("checkbox", name="Online").check()
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"delivery=online"))
    assert page.locator("#zip").input_value() == "60614"
    assert page.locator("#radius").input_value() == "50"
    assert page.get_by_role("checkbox", name="Online").is_checked()
    assert not page.get_by_role("checkbox", name="In person").is_checked()


def test_search_and_listing_work_without_javascript(new_page, live_server):
    page = new_page(PHONE, java_script_enabled=False)
    _open(page, live_server, "/")
    page.fill("#home-zip", "60614")
    page.get_by_role("button", name="Find support").click()
    page.wait_for_url(re.compile(r"/search\?.*zip=60614"))
    link = page.locator(".result-list .result h3 a").first
    name = link.inner_text()
    link.click()
    page.wait_for_url(re.compile(r"/listings/\d+$"))
    assert page.locator("h1").inner_text() == name
    assert page.locator(".guidance-panel").is_visible()
    # "More choices" is a <details>: it opens without JavaScript too.
    _open(page, live_server, "/search")
    page.get_by_text("More choices").click()
    assert page.get_by_role("checkbox", name="Caregivers").is_visible()


def test_printed_results_leave_out_the_search_form(desktop_page, live_server):
    page = desktop_page
    _open(page, live_server, RESULTS_URL)
    page.emulate_media(media="print")
    assert not page.locator(".search-form").is_visible()
    assert not any(nav.is_visible() for nav in page.locator(".site-header nav").all()), "menus and language switch"
    assert page.locator(".result-list").is_visible()
    assert page.locator(".site-footer .helpline").is_visible(), "a printout keeps the helpline"
    screenshot(page, "search-results-print")


@pytest.mark.parametrize("param", ["q", "zip"])
def test_markup_in_the_query_is_escaped(phone_page, live_server, param):
    page = phone_page
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    attack = "<img src=x onerror=alert(1)>"
    query = f"{param}={quote(attack)}" + ("&zip=60614" if param == "q" else "")
    response = page.goto(f"{live_server}/search?{query}")
    assert response.status in (200, 400)
    page.wait_for_load_state("load")
    assert dialogs == []
    assert page.locator("img").count() == 0
    body = response.text()
    assert attack not in body and "&lt;img src=x onerror=alert(1)&gt;" in body
    # The box gives the words back as text (maxlength only limits typing, not the sent value).
    field = page.locator("#q" if param == "q" else "#zip")
    assert field.get_attribute("value") == attack
