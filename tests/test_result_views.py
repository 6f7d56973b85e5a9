"""A result card's words (result_views.py): what each kind of listing shows, in each language, on every URL root."""
from __future__ import annotations

import re
from datetime import date

import pytest
from werkzeug.datastructures import MultiDict

from directory.result_views import result_views
from directory.search import parse_search_args, run_search


def views(app, language: str = "en", base_url: str = "http://localhost", **params):
    """The result views of one search, as a page in `language` under `base_url` would make them (in an app context
    of its own, as a request has: Flask-Babel keeps the locale on `g`)."""
    with app.app_context(), app.test_request_context("/search", base_url=base_url, headers={"Cookie": f"lang={language}"}):
        return result_views(run_search(parse_search_args(MultiDict(params))))


def test_a_support_program_card(app, make):
    item = make.listing(zip="60614", name="Tuesday Circle", session_format="group", delivery=["in_person", "online"],
                        online_mode="video", moderation="trained_peer", audience=["caregivers", "family"],
                        cost="sliding_scale", languages=["en", "es"], last_verified=date(2026, 3, 14))
    [card] = views(app, zip="60614")
    assert (card.id, card.name, card.url, card.is_demo) == (item.id, "Tuesday Circle", f"/listings/{item.id}", False)
    assert card.organization == item.organization.name
    assert (card.emphasis, card.place) == ("less than 0.1 miles", "Testville, IL")
    assert card.facts == (
        ("Format", "Group · In person, Online (Video meetings)"),
        ("Who leads it", "Trained peers"),
        ("For", "Caregivers, Family"),
        ("Cost", "Sliding scale"),
        ("Languages", "English, Spanish"),
        ("Checked", "Last verified Mar 14, 2026"),
    )
    assert [note.code for note in card.notes] == ["privacy_policy_missing", "verification_old", "peer_led"]  # cautions first


@pytest.mark.parametrize("accepting, words", [
    (True, "accepting new clients"), (False, "not accepting new clients"), (None, "ask about openings")])
def test_a_counselor_card(app, make, accepting, words):
    make.listing(zip="60614", kind="counseling", session_format="one_on_one", moderation=None,
                 license_type="psychologist", license_state="IL", accepting_clients=accepting, audience=[],
                 languages=[], last_verified=None, is_demo=True)
    [card] = views(app, zip="60614")
    assert card.is_demo
    assert card.facts == (
        ("Format", "One-on-one · In person"),
        ("Counselor", f"Psychologist, licensed in IL · {words}"),
        ("Cost", "Free"),
        ("Checked", "Not yet verified"),
    )


def test_who_leads_a_program_that_does_not_say(app, make):
    make.listing(zip="60614", moderation=None)
    assert views(app, zip="60614")[0].facts[1] == ("Who leads it", "Not stated")


def test_where_a_remote_listing_is_available(app, make):
    make.listing(service_area=["US"], delivery=["online"], name="A Nationwide")
    make.listing(service_area=["IL", "WI"], delivery=["phone", "online"], name="B Two States")
    near = [(card.emphasis, card.place) for card in views(app, zip="60614")]
    assert near == [("Online", "available nationwide"), ("Online, By phone", "available in IL")]
    anywhere = [(card.emphasis, card.place) for card in views(app, delivery="phone")]  # no ZIP: no centre
    assert anywhere == [("Online, By phone", "available in IL, WI")]


def test_a_place_without_a_distance(app, make):
    """Without a ZIP a local listing has no distance: its card names its first place."""
    make.listing(zip="60614")
    [card] = views(app, q="Test Listing")
    assert (card.emphasis, card.place) == ("", "Testville, IL")


def test_each_language_in_turn_gets_its_own_words(app, make):
    """The per-language tables never hand one language's words to another, whichever asked first."""
    make.listing(zip="60614", kind="counseling", session_format="one_on_one", license_type="psychologist",
                 license_state="IL", accepting_clients=True, delivery=["phone"], languages=[], audience=[])
    spanish = (("Formato", "Individual · Por teléfono"),
               ("Profesional", "Psicólogo, con licencia en IL · acepta clientes nuevos"))
    english = (("Format", "One-on-one · By phone"), ("Counselor", "Psychologist, licensed in IL · accepting new clients"))
    for language, words, distance in [("es", spanish, "menos de 0,1 millas"), ("en", english, "less than 0.1 miles"),
                                      ("es", spanish, "menos de 0,1 millas")]:
        [card] = views(app, language, zip="60614")
        assert card.facts[:2] == words
        assert card.emphasis == distance


@pytest.mark.parametrize("base_url", ["http://localhost", "https://example.org/support-directory"])
def test_card_links_are_the_listing_pages_on_every_url_root(client, make, base_url):
    item = make.listing(zip="60614")
    page = client.get("/search?zip=60614", base_url=base_url).get_data(as_text=True)
    root = base_url.removeprefix("http://localhost").removeprefix("https://example.org")
    assert re.findall(r'<h3 id="listing-\d+-name"><a href="([^"]+)"', page) == [f"{root}/listings/{item.id}"]
    assert client.get(f"/listings/{item.id}", base_url=base_url).status_code == 200


def test_card_words_are_escaped(client, make):
    make.listing(zip="60614", name="<script>x()</script>", organization=make.organization(name='"Quoted" & <b>'))
    page = client.get("/search?zip=60614").get_data(as_text=True)
    assert "<script>x()" not in page and "&lt;script&gt;x()&lt;/script&gt;" in page
    assert "<b>" not in page.split('class="result-list"')[1]
