"""A caseworker builds a referral packet from search results, prints it and shares it, in Chromium.

Every page has no axe-core WCAG 2.1 A/AA violations. Screenshots go to
test-artifacts/screenshots/referral-*.png (the print view with print media emulated).
"""
from __future__ import annotations

import itertools
import re

import pytest

from directory.extensions import db
from tests import factories

from .conftest import DESKTOP, PHONE, sign_in, axe_check, screenshot

pytestmark = pytest.mark.browser

REFERENCE = "BR-0412"
_run = itertools.count(1)


@pytest.fixture
def caseworker(app, live_server):
    n = next(_run)
    with app.app_context():
        email = factories.user("caseworker", email=f"flow-caseworker-{n}@example.org").email
        db.session.remove()
    return email


def test_build_print_and_share_a_packet(live_server, new_page, caseworker):
    page = new_page(DESKTOP)
    sign_in(page, live_server, caseworker)
    assert page.url.endswith("/referrals/")
    axe_check(page)

    search = live_server + "/search?zip=60614&radius=25"
    page.goto(search)
    page.get_by_role("link", name="Start a referral packet").first.click()
    page.wait_for_url(re.compile(r"/referrals/new"))
    page.fill("#client_reference", REFERENCE)
    page.select_option("#client_language", "es")
    page.fill("#notes", "Prefers evening groups.")
    axe_check(page)
    page.get_by_role("button", name="Start the packet").click()
    page.wait_for_url(re.compile(r"/search\?zip=60614"))
    assert "radius=25" in page.url  # back to the same search

    add_buttons = page.locator("form[action='/referrals/items'] button")
    assert add_buttons.count() >= 2
    names = []
    for index in range(2):
        card = page.locator("article.result").nth(index)
        names.append(card.locator("h3").inner_text())
        card.locator("form[action='/referrals/items'] button").click()
        page.wait_for_url(re.compile(r"/search\?zip=60614"))
        assert "Added to the packet." in page.locator(".flashes").inner_text()
    screenshot(page, "referral-search-added")
    axe_check(page)

    page.goto(live_server + "/referrals/")
    page.get_by_role("link", name=REFERENCE).click()
    page.wait_for_url(re.compile(r"/referrals/\d+$"))
    assert REFERENCE not in page.url
    for name in names:
        assert name in page.locator("main").inner_text()
    screenshot(page, "referral-packet")
    axe_check(page)
    packet_url = page.url

    page.get_by_role("link", name="Print view").click()
    page.wait_for_url(re.compile(r"/print$"))
    page.emulate_media(media="print")
    assert page.locator("html").get_attribute("lang") == "es"
    assert "Prefers evening groups." not in page.content()
    screenshot(page, "referral-print")
    axe_check(page)
    page.emulate_media(media="screen")

    page.goto(packet_url)
    page.get_by_role("button", name="Make a share link").click()
    page.wait_for_load_state()
    share_url = page.locator("#share-link").input_value()
    assert "/referrals/shared/" in share_url and REFERENCE not in share_url
    axe_check(page)

    visitor = new_page(PHONE)
    response = visitor.goto(share_url)
    assert response.status == 200 and response.headers["cache-control"] == "no-store"
    text = visitor.locator("main").inner_text()
    assert names[0] in text and "Prefers evening groups." not in text
    assert visitor.get_by_role("button", name="Sign out").count() == 0
    screenshot(visitor, "referral-shared")
    axe_check(visitor)

    page.get_by_role("button", name="Turn off the share link").click()
    page.wait_for_load_state()
    assert visitor.goto(share_url).status == 410
