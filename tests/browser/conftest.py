"""Fixtures for the Chromium tests: one seeded live server, one browser, a fresh page per test.

The browser tests share one database, seeded once for the package with the
real seed code, so the autouse `_clean_database` fixture is replaced by a
no-op here. Without /usr/bin/chromium they skip, except under CI=true or
REQUIRE_BROWSER=1, where a missing browser is a failure.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from directory.content import SEEDS_DIR
from directory.extensions import db
from directory.seeding import seed_listings, seed_taxonomy
from tests import factories
from tests.conftest import empty_all_tables

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
               "resultTypes": ["violations"]}


def _browser_required() -> bool:
    return os.environ.get("CI", "").lower() == "true" or os.environ.get("REQUIRE_BROWSER") == "1"


def _no_browser(reason: str):
    if _browser_required():
        pytest.fail(f"{reason} (CI=true or REQUIRE_BROWSER=1 makes the browser tests mandatory)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _clean_database():
    """No-op: the browser tests share the one database `live_server` seeds."""
    yield


def _seed_fallback_listings() -> None:
    """A few listings near 60614 for when seeds/demo_listings.json has not been generated."""
    factories.listing(zip="60614", name="Lincoln Park Cancer Support Circle (demo)", is_demo=True,
                      delivery=["in_person"], moderation="licensed_professional")
    factories.listing(name="Online Discussion Board — Lakeview Cancer Circle (demo)", is_demo=True,
                      delivery=["online"], moderation="unmoderated", online_mode="forum",
                      service_area=["IL", "IN", "WI"])
    factories.listing(zip="60614", name="Dana Example, LCSW (demo)", is_demo=True, kind="counseling",
                      session_format="one_on_one", moderation=None, license_type="clinical_social_worker",
                      license_state="IL", accepting_clients=True, cost="sliding_scale")
    factories.listing(zip="10001", name="Riley Example, PhD (demo)", is_demo=True, kind="counseling",
                      session_format="one_on_one", moderation=None, license_type="psychologist",
                      license_state="NY", accepting_clients=True, cost="insurance")


def _seed() -> None:
    empty_all_tables()
    seed_taxonomy()
    seed_listings("national_programs.json")
    if (SEEDS_DIR / "demo_listings.json").exists():
        seed_listings("demo_listings.json")
    db.session.commit()
    if not (SEEDS_DIR / "demo_listings.json").exists():
        _seed_fallback_listings()


@pytest.fixture(scope="package")
def live_server(app):
    """The app, seeded with the real seed data, served from a background thread. Yields the base URL."""
    with app.app_context():
        _seed()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            empty_all_tables()
            db.session.remove()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        _no_browser(f"{CHROMIUM} is not installed (apt-get install chromium), so the browser tests cannot run")
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    except PlaywrightError as exc:
        playwright.stop()
        _no_browser(f"{CHROMIUM} did not start: {exc}")
    yield browser
    browser.close()
    playwright.stop()


def _new_page(browser, viewport: dict, **context_options):
    context = browser.new_context(viewport=viewport, **context_options)
    context.set_default_timeout(10_000)
    return context, context.new_page()


@pytest.fixture
def new_page(browser):
    """new_page(viewport, **context_options) -> a page in a fresh context, closed after the test."""
    contexts = []

    def make(viewport: dict = PHONE, **context_options):
        context, page = _new_page(browser, viewport, **context_options)
        contexts.append(context)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def phone_page(new_page):
    return new_page(PHONE)


@pytest.fixture
def desktop_page(new_page):
    return new_page(DESKTOP)


def axe_check(page) -> None:
    """Assert the page has no WCAG 2.1 A/AA violations that axe-core can find."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=AXE_OPTIONS)
    if results.violations_count:
        print(results.generate_report())
    assert results.violations_count == 0, f"axe found violations on {page.url}:\n{results.generate_report()}"


def screenshot(page, name: str) -> Path:
    """A full-page screenshot in test-artifacts/screenshots/<name>.png (git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_no_horizontal_scroll(page) -> None:
    scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width, (
        f"{page.url} scrolls sideways at {inner_width}px: the page is {scroll_width}px wide")


def sign_in(page, base_url: str, email: str) -> None:
    """Sign in through the login form as a factory-made user (factories.DEFAULT_PASSWORD)."""
    page.goto(base_url + "/login")
    page.fill("#email", email)
    page.fill("#password", factories.DEFAULT_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()
