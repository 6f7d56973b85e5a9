"""English and Spanish: a complete catalog, no bare English, the language switch, locale formats, descriptions."""
from __future__ import annotations

import json
from contextlib import contextmanager
import re
from datetime import date, time
from html.parser import HTMLParser
from pathlib import Path
from string import Formatter

import pytest

from directory import presenters
from directory.content import SEEDS_DIR
from directory.i18n import listing_description
from tests.catalogs import extract_messages, read_catalog

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"

# Words of the interface that must never show on a Spanish page. Test data avoids them.
ENGLISH_PHRASES = [
    "Find support", "Find cancer support", "Search", "miles", "Not yet verified", "Last verified", "Before you join",
    "Judging", "Counselor", "Support Directory", "Skip to main content", "Who leads it", "Who it is for", "Cost",
    "Languages", "How to join", "How you meet", "More choices", "ZIP code", "Licensed counselors", "The five kinds",
    "Questions to ask", "helpline", "Demo listing", "available", "In person", "Online", "One-on-one", "Free",
    "Caregivers", "Every ", "Page ", "Previous", "of each month", "Central", "Tuesday", "Contact", "Website",
    "Phone", "Accessibility", "Privacy", "At a glance", "When it meets", "About", "Sign in", "medical advice",
    "care team", "No listings matched", "Look farther", "online or by phone", "Please check", "Go to the home page",
    "could not find", "Format", "Group", "Sliding scale", "English, Spanish", "Prescribes", "Training",
]


class VisibleText(HTMLParser):
    """The words a person sees or hears: text nodes and the attributes screen readers read out."""

    SPOKEN_ATTRIBUTES = ("aria-label", "title", "alt", "placeholder")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        attributes = dict(attrs)
        self.parts.extend(attributes[name] for name in self.SPOKEN_ATTRIBUTES if attributes.get(name))
        if tag == "meta" and attributes.get("name") == "description":
            self.parts.append(attributes.get("content") or "")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.parts


@contextmanager
def reading_in(app, language: str):
    """A request in `language`, with an app context of its own (Flask-Babel caches the locale on `g`)."""
    with app.app_context(), app.test_request_context(headers={"Cookie": f"lang={language}"}):
        yield


def english_on(html: str) -> list[str]:
    text = "\n".join(visible_text(html))
    return [phrase for phrase in ENGLISH_PHRASES if re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text)]


# -- the catalog -----------------------------------------------------------------------------------

def test_every_message_in_the_code_has_a_spanish_translation():
    """Fails when a template or module says something the Spanish catalog does not translate.

    Fix: `make messages`, then translate the new entries in translations/es/LC_MESSAGES/messages.po.
    """
    spanish = read_catalog("es")
    problems = []
    for message in extract_messages():
        if not message.id:
            continue
        where = ", ".join(f"{path}:{line}" for path, line in message.locations[:2])
        found = spanish.get(message.id)
        if found is None:
            problems.append(f"missing: {message.id!r} ({where})")
        elif found.fuzzy:
            problems.append(f"fuzzy: {message.id!r} ({where})")
        elif not all(found.string if isinstance(found.string, tuple) else (found.string,)):
            problems.append(f"untranslated: {message.id!r} ({where})")
    assert problems == [], "\n".join(problems)


def test_spanish_translations_keep_their_placeholders():
    errors = [(message.id, [str(e) for e in errs]) for message, errs in read_catalog("es").check() if errs]
    assert errors == []


def test_templates_hold_no_bare_text():
    """Every word in a template goes through gettext: with the Jinja parts blanked out, no letters remain."""
    jinja = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
    attribute = re.compile(r'[\w-]+="[^"]*"')  # a macro that writes attributes for a tag elsewhere
    offenders = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        source = jinja.sub("§", path.read_text(encoding="utf-8"))
        offenders += [f"{path.relative_to(TEMPLATES)}: {text!r}" for text in visible_text(source)
                      if re.search(r"[A-Za-z]", attribute.sub("", text))]
    assert offenders == [], "\n".join(offenders)


def test_seed_texts_are_in_spanish_too():
    """Guidance and counselor types: an "es" text beside every "en" one, with the same {placeholders}."""
    def texts(node):
        if isinstance(node, dict) and "en" in node:
            yield node
        elif isinstance(node, dict):
            for value in node.values():
                yield from texts(value)
        elif isinstance(node, list):
            for value in node:
                yield from texts(value)

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in Formatter().parse(text) if name}

    for name in ("guidance.json", "counselor_types.json"):
        for words in texts(json.loads((SEEDS_DIR / name).read_text(encoding="utf-8"))):
            assert words.get("es", "").strip(), f"{name}: no Spanish for {words['en']!r}"
            assert fields(words["es"]) == fields(words["en"]), f"{name}: placeholders differ in {words['es']!r}"
            assert words["es"] != words["en"] or words["en"] in ("No",), f"{name}: not translated: {words['en']!r}"
    notes = json.loads((SEEDS_DIR / "guidance.json").read_text(encoding="utf-8"))["notes"]
    for code, words in notes.items():
        short = words["short"]["es"].format(date="14 sept 2026", state="IL", states="IL", policy="x")
        assert len(short) <= 90, f"{code}: a result card's note should stay short in Spanish too"


# -- choosing the language -------------------------------------------------------------------------

def test_the_switch_sets_a_cookie_and_goes_back(client):
    response = client.get("/language/es?next=/search%3Fzip%3D60614%26radius%3D25")
    assert response.status_code == 302
    assert response.headers["Location"] == "/search?zip=60614&radius=25"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=es;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Max-Age=" in cookie
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="es">' in page
    assert "Encuentre apoyo para el cáncer" in page
    client.get("/language/en?next=/")
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)


def test_every_page_offers_the_switch_with_each_name_in_its_own_language(client):
    client.set_cookie("lang", "es")
    page = client.get("/counselors?license_type=psychologist").get_data(as_text=True)
    english = re.search(r'<a href="([^"]+)" lang="en" hreflang="en"[^>]*>English</a>', page)
    spanish = re.search(r'<a href="([^"]+)" lang="es" hreflang="es"[^>]*aria-current="true"[^>]*>Español</a>', page)
    assert english and spanish
    assert english.group(1) == "/language/en?next=/counselors?license_type%3Dpsychologist"
    error_page = client.get("/no-such-page").get_data(as_text=True)
    assert 'lang="en" hreflang="en"' in error_page


def test_the_language_stays_out_of_every_other_link(client, make):
    make.listing(zip="60614")
    client.set_cookie("lang", "es")
    page = client.get("/search?zip=60614").get_data(as_text=True)
    links = re.findall(r'href="([^"]+)"', page)
    assert links and not [href for href in links if "lang" in href and not href.startswith("/language/")]


def test_unknown_language_is_not_found(client):
    assert client.get("/language/fr?next=/").status_code == 404


@pytest.mark.parametrize("target", [
    "//evil.example", "https://evil.example", "/\\evil.example", "\\\\evil.example", "http:evil.example",
    "/\t/evil.example", "javascript:alert(1)", "evil.example", "",
])
def test_the_switch_only_goes_back_to_a_page_here(client, target):
    response = client.get("/language/es", query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert response.headers["Set-Cookie"].startswith("lang=es;")


def test_accept_language_decides_until_the_reader_chooses(client):
    page = client.get("/", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="es">' in page
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "fr, de"}).get_data(as_text=True)
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)
    client.set_cookie("lang", "en")
    chosen = client.get("/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert '<html lang="en">' in chosen, "the reader's choice beats the browser's"
    client.set_cookie("lang", "xx")
    bogus = client.get("/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert '<html lang="es">' in bogus


def test_other_cookies_leave_the_choice_to_accept_language(client):
    client.set_cookie("session_hint", "es")  # a cookie, but not the language's
    assert '<html lang="es">' in client.get("/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": ""}).get_data(as_text=True)
    client.set_cookie("lang", "es")
    assert '<html lang="es">' in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)


# -- Spanish pages ---------------------------------------------------------------------------------

@pytest.fixture
def spanish_data(make):
    """Listings whose own words avoid ENGLISH_PHRASES, so any English found comes from the interface."""
    group = make.listing(
        zip="60614", name="Círculo de los martes", description="A group that meets on the north side.",
        description_es="Un grupo que se reúne en el norte de la ciudad.", cost="sliding_scale",
        languages=["es", "en"], delivery=["in_person", "online"], online_mode="video", audience=["caregivers"],
        last_verified=None, phones=[{"number": "(312) 555-0142", "type": "voice"}],
        schedules=[{"freq": "WEEKLY", "byday": "TU", "opens_at": time(18, 0), "closes_at": time(19, 30),
                    "timezone": "America/Chicago"},
                   {"freq": "MONTHLY", "byday": "1TH,-1TH", "opens_at": time(10, 0)}],
        url="https://example.org/circulo", is_demo=True,
    )
    forum = make.listing(name="Foro nocturno", description_es="Un foro para escribir a cualquier hora.",
                         delivery=["online"], online_mode="forum", moderation="unmoderated", service_area=["US"],
                         languages=["es"])
    counselor = make.listing(zip="60614", name="Ana Ejemplo, LCSW", description_es="Consejería individual.",
                             kind="counseling", session_format="one_on_one", moderation=None,
                             license_type="clinical_social_worker", license_state="IL", accepting_clients=True,
                             cost="insurance", delivery=["in_person", "online"], service_area=["IL"])
    return {"group": group, "forum": forum, "counselor": counselor}


def spanish_pages(data) -> dict[str, tuple[str, int]]:
    return {
        "home": ("/", 200),
        "search": ("/search", 200),
        "search-results": ("/search?zip=60614&radius=25", 200),
        "search-empty": ("/search?zip=59001&radius=5&kind=counseling&license_type=psychiatrist", 200),
        "search-bad-zip": ("/search?zip=abcde", 400),
        "search-bad-radius": ("/search?zip=60614&radius=9000", 400),
        "listing-group": (f"/listings/{data['group'].id}", 200),
        "listing-forum": (f"/listings/{data['forum'].id}", 200),
        "listing-counselor": (f"/listings/{data['counselor'].id}", 200),
        "counselors": ("/counselors?zip=60614", 200),
        "guidance": ("/guidance/online-groups", 200),
        "not-found": ("/no-such-page", 404),
    }


def test_spanish_pages_hold_no_english_words(client, spanish_data):
    client.set_cookie("lang", "es")
    found = {}
    for name, (path, status) in spanish_pages(spanish_data).items():
        response = client.get(path)
        assert response.status_code == status, path
        html = response.get_data(as_text=True)
        assert '<html lang="es">' in html, path
        english = english_on(html)
        if english:
            found[name] = english
    assert found == {}


def test_the_phrase_list_would_catch_english(client, spanish_data):
    """The check above is only as good as its list: on English pages it finds plenty."""
    for path, _status in spanish_pages(spanish_data).values():
        assert english_on(client.get(path).get_data(as_text=True)), path


def test_spanish_search_results_and_errors(client, spanish_data):
    client.set_cookie("lang", "es")
    page = client.get("/search?zip=60614&radius=25").get_data(as_text=True)
    assert "resultados a 25 millas o menos de 60614 (Chicago, IL)" in page
    assert "menos de 0,1 millas" in page
    assert "Aún sin verificar" in page
    bad = client.get("/search?zip=abcde").get_data(as_text=True)
    assert "Escriba un código postal (ZIP) de 5 dígitos" in bad
    client.delete_cookie("lang")
    api = client.get("/api/v1/search?zip=abcde", headers={"Accept-Language": "es"}).json
    assert api["error"]["field"] == "zip" and api["error"]["message"].startswith("Escriba un código postal")


def test_spanish_listing_page(client, spanish_data):
    client.set_cookie("lang", "es")
    page = client.get(f"/listings/{spanish_data['group'].id}").get_data(as_text=True)
    assert "Cada martes, de 18:00 a 19:30 (hora central)" in page
    assert "El primer jueves y el último jueves de cada mes, desde las 10:00" in page
    assert '<p lang="es">Un grupo que se reúne en el norte de la ciudad.</p>' in page
    assert "solo está disponible" not in page
    assert "<dt>Idiomas</dt><dd>Inglés, Español</dd>" in page


def test_counselor_types_in_spanish(client):
    client.set_cookie("lang", "es")
    page = client.get("/counselors").get_data(as_text=True)
    for words in ("Trabajador social clínico", "Psicólogo", "Psiquiatra", "Buscar psicólogos", "Receta medicamentos"):
        assert words in page


# -- formats ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("language, distance, expected", [
    ("es", 1.5, "1,5 millas"), ("en", 1.5, "1.5 miles"), ("es", 1234.56, "1.234,6 millas"),
    ("en", 1234.56, "1,234.6 miles"), ("es", 0.05, "menos de 0,1 millas"),
])
def test_distances_are_written_the_readers_way(app, language, distance, expected):
    with reading_in(app, language):
        assert presenters.miles(distance) == expected


def test_dates_are_written_the_readers_way(app, make):
    item = make.listing(last_verified=date(2026, 3, 14))
    with reading_in(app, "es"):
        assert presenters.verified_text(item) == "Verificado por última vez el 14 mar 2026"
    with reading_in(app, "en"):
        assert presenters.verified_text(item) == "Last verified Mar 14, 2026"


# -- a description in the reader's language ---------------------------------------------------------

class Described:
    def __init__(self, description="", description_es=None):
        self.description, self.description_es = description, description_es


@pytest.mark.parametrize("english, spanish, reader, text, language, note", [
    ("Hello.", "Hola.", "es", "Hola.", "es", ""),
    ("Hello.", "Hola.", "en", "Hello.", "en", ""),
    ("Hello.", None, "es", "Hello.", "en", "This description is only available in English."),
    ("", "Hola.", "en", "Hola.", "es", "This description is only available in Spanish."),
    ("Hello.", "  ", "es", "Hello.", "en", "This description is only available in English."),
    ("", None, "es", "", "en", ""),
])
def test_listing_description_picks_the_readers_language(app, english, spanish, reader, text, language, note):
    with reading_in(app, "en"):  # the note speaks the page's language: English here, Spanish tested below
        chosen = listing_description(Described(english, spanish), reader)
    assert (chosen.text, chosen.language, chosen.note) == (text, language, note)


def test_listing_page_notes_a_description_in_the_other_language(client, make):
    english_only = make.listing(zip="60614", description="Meets by the lake.")
    client.set_cookie("lang", "es")
    page = client.get(f"/listings/{english_only.id}").get_data(as_text=True)
    assert "Esta descripción solo está disponible en inglés." in page
    assert '<p lang="en">Meets by the lake.</p>' in page
    spanish_only = make.listing(zip="60614", description="", description_es="Se reúne junto al lago.")
    client.set_cookie("lang", "en")
    page = client.get(f"/listings/{spanish_only.id}").get_data(as_text=True)
    assert "This description is only available in Spanish." in page
    assert '<p lang="es">Se reúne junto al lago.</p>' in page
    assert client.get(f"/api/v1/listings/{spanish_only.id}").json["description_es"] == "Se reúne junto al lago."


def test_the_switch_does_not_echo_a_huge_query(client):
    page = client.get("/search", query_string={"zip": "60614", "q": "support " * 2000}).get_data(as_text=True)
    assert 'href="/language/es?next=/search"' in page


def test_an_imported_language_outside_our_list_is_named_in_the_readers_language(client, make):
    listing = make.listing(zip="60614", languages=["en", "ur"])  # Urdu, as an HSDS import may bring
    assert "Urdu" in client.get(f"/listings/{listing.id}").get_data(as_text=True)
    client.get("/language/es?next=/")
    assert "urdu" in client.get(f"/listings/{listing.id}").get_data(as_text=True)
