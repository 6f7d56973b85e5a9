"""The public pages in Spanish, in real headless Chromium, at phone and desktop widths.

A reader gets Spanish from the switch (a `lang` cookie) or from the browser's
Accept-Language. Every page: `<html lang="es">`, Spanish words, no axe-core
WCAG 2.1 A/AA violations, no sideways scrolling on a phone (Spanish runs
about a fifth longer than English), and a screenshot in
test-artifacts/screenshots/<page>-es-<width>.png.
"""
from __future__ import annotations

import re

import pytest

from .conftest import DESKTOP, PHONE, assert_no_horizontal_scroll, axe_check, screenshot

pytestmark = pytest.mark.browser

HELPLINE = "1-800-227-2345"
VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}
# A Chicago group that describes itself in both languages (seeds/build_demo.py).
BILINGUAL_SEARCH = "/search?zip=60614&radius=25&language=es&q=Caregivers"

PAGES = {
    "home": ("/", "Encuentre apoyo para el cáncer cerca de usted o en línea"),
    "search-results": ("/search?zip=60614&radius=25", "resultados a 25 millas o menos de 60614"),
    "search-empty": ("/search?zip=59001&radius=5&kind=counseling&license_type=psychiatrist&delivery=in_person",
                     "No encontramos resultados"),
    "search-bad-zip": ("/search?zip=abcde", "Escriba un código postal"),
    "counselors": ("/counselors", "Profesionales de salud mental con licencia"),
    "guidance-online-groups": ("/guidance/online-groups", "Cómo evaluar un grupo de apoyo en línea"),
}


def _spanish_page(new_page, live_server, viewport, how: str = "cookie"):
    """A page whose reader chose Spanish (cookie) or whose browser asks for it (Accept-Language)."""
    if how == "cookie":
        page = new_page(viewport)
        page.context.add_cookies([{"name": "lang", "value": "es", "url": live_server}])
    else:
        page = new_page(viewport, locale="es-US")
    return page


def _check(page, name: str, viewport_name: str) -> None:
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.locator("h1").count() == 1
    assert page.locator(".site-footer .helpline a[href^='tel:']").inner_text() == HELPLINE
    screenshot(page, f"{name}-es-{viewport_name}")
    axe_check(page)
    if viewport_name == "phone":
        assert_no_horizontal_scroll(page)


@pytest.mark.parametrize("viewport_name", VIEWPORTS)
@pytest.mark.parametrize("name", PAGES)
def test_spanish_page_is_accessible_and_fits(new_page, live_server, name, viewport_name):
    # Half the pages get Spanish from the cookie, half from Accept-Language.
    how = "cookie" if list(PAGES).index(name) % 2 == 0 else "accept-language"
    page = _spanish_page(new_page, live_server, VIEWPORTS[viewport_name], how)
    path, words = PAGES[name]
    page.goto(live_server + path)
    assert words in page.locator("main").inner_text()
    _check(page, name, viewport_name)


@pytest.mark.parametrize("viewport_name", VIEWPORTS)
def test_spanish_listing_page(new_page, live_server, viewport_name):
    page = _spanish_page(new_page, live_server, VIEWPORTS[viewport_name])
    page.goto(live_server + BILINGUAL_SEARCH)
    first = page.locator(".result-list .result h3 a").first
    assert first.count() == 1, "the demo data should hold a bilingual caregivers' group near 60614"
    first.click()
    page.wait_for_url(re.compile(r"/listings/\d+$"))
    about = page.locator("[aria-labelledby=about-heading]")
    assert about.locator("h2").inner_text() == "Descripción"
    assert about.locator("p[lang=es]").inner_text().startswith("Ficha de demostración")
    assert page.locator(".language-note").count() == 0
    assert page.locator(".guidance-panel h2").inner_text() == "Cómo evaluar esta opción"
    assert page.locator("#when-heading").inner_text() == "Cuándo se reúne"
    _check(page, "listing", viewport_name)


def test_the_switch_changes_the_language_and_keeps_the_page(new_page, live_server):
    page = new_page(PHONE)
    page.goto(live_server + "/search?zip=60614&radius=25")
    assert page.locator("html").get_attribute("lang") == "en"
    switch = page.locator(".language-switch a[lang=es]")
    assert switch.inner_text() == "Español"
    switch.click()
    page.wait_for_load_state("load")
    assert page.url == live_server + "/search?zip=60614&radius=25", "the language is not in the URL"
    assert page.locator("html").get_attribute("lang") == "es"
    assert "resultados" in page.locator("#results-heading").inner_text()
    assert page.locator(".language-switch a[aria-current=true]").get_attribute("lang") == "es"
    # The choice stays for the next page, found by a link that says nothing of language.
    page.locator(".nav-list a", has_text="Consejería").click()
    page.wait_for_url(re.compile(r"/counselors$"))
    assert page.locator("html").get_attribute("lang") == "es"
    page.locator(".language-switch a[lang=en]").click()
    page.wait_for_url(re.compile(r"/counselors$"))
    assert page.locator("h1").inner_text() == "Licensed counselors"


def test_english_reader_is_told_a_description_is_only_in_spanish(new_page, live_server):
    """A group held only in Spanish describes itself only in Spanish (seeds/build_demo.py, Los Angeles)."""
    page = new_page(DESKTOP)
    page.goto(live_server + "/search?zip=90022&radius=50&language=es&q=Grupo")
    links = page.locator(".result-list .result h3 a")
    for index in range(links.count()):
        links.nth(index).click()
        page.wait_for_url(re.compile(r"/listings/\d+$"))
        if page.locator(".language-note").count():
            break
        page.go_back()
    else:
        pytest.fail("no Spanish-only demo listing near 90022")
    assert page.locator(".language-note").inner_text() == "This description is only available in Spanish."
    assert page.locator("[aria-labelledby=about-heading] p[lang=es]").is_visible()
    screenshot(page, "listing-spanish-only-en-desktop")
    axe_check(page)
