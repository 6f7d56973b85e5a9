"""Search semantics, the same through run_search, /api/v1/search and /search.

Values within one field combine with OR, fields with AND (DESIGN.md). With a
ZIP, local listings come first, nearest first, then remote-only listings whose
service area covers the ZIP's state. Only approved, active listings are public.
"""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import numpy as np
import pytest
from geopy.distance import geodesic
from sqlalchemy import event
from werkzeug.datastructures import MultiDict

from directory import database
from directory.extensions import db
from directory.geo import lookup_zip
from directory.search import (_among_sorted, _distinct, _distinct_first, _first_true, _kept, _nearest_first,
                              _WordsAmong, parse_search_args, run_search)

CHICAGO = lookup_zip("60614")
ORIGIN = (CHICAGO.lat, CHICAGO.lon)


def near_chicago(miles: float, bearing: float = 0.0) -> tuple[float, float]:
    point = geodesic(miles=miles).destination(ORIGIN, bearing)
    return point.latitude, point.longitude


def search(**params) -> list[int]:
    """Listing ids, in order, from run_search with the same parsing the views use."""
    page = run_search(parse_search_args(MultiDict(_pairs(params))))
    return [hit.listing.id for hit in page.hits]


def _every_page(**params) -> list[int]:
    """search's ids, page after page of 50 until one is short."""
    found, page = [], 1
    while True:
        ids = search(**params, per_page=50, page=page)
        found += ids
        if len(ids) < 50:
            return found
        page += 1


def _pairs(params: dict) -> list[tuple[str, str]]:
    pairs = []
    for key, value in params.items():
        for item in value if isinstance(value, (list, tuple)) else [value]:
            pairs.append((key, str(item)))
    return pairs


def api_ids(client, **params) -> list[int]:
    response = client.get("/api/v1/search", query_string=_pairs(params))
    assert response.status_code == 200, response.json
    return [r["id"] for r in response.json["results"]]


class PageReader(HTMLParser):
    """What a person sees of the search page: checked boxes, selected options, links, text."""

    def __init__(self, html: str):
        super().__init__()
        self.checked: set[tuple[str, str]] = set()
        self.selected: dict[str, str] = {}
        self.values: dict[str, str] = {}
        self.listing_ids: list[int] = []
        self.text_parts: list[str] = []
        self._select: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input":
            if a.get("type") == "checkbox" and "checked" in a:
                self.checked.add((a.get("name"), a.get("value")))
            elif a.get("type") not in ("checkbox", "hidden", "submit") and a.get("name"):
                self.values[a["name"]] = a.get("value") or ""
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self.selected[self._select] = a.get("value")
        elif tag == "a":
            match = re.fullmatch(r"/listings/(\d+)", a.get("href") or "")
            if match and int(match.group(1)) not in self.listing_ids:
                self.listing_ids.append(int(match.group(1)))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None

    def handle_data(self, data):
        self.text_parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.text_parts).split())


def html_page(client, path="/search", **params) -> PageReader:
    response = client.get(path, query_string=_pairs(params))
    assert response.status_code == 200, response.data[:500]
    return PageReader(response.get_data(as_text=True))


# -- distance and order ---------------------------------------------------------

def test_results_come_nearest_first_with_distances(client, make):
    far = make.listing(at=near_chicago(20, 90), name="Far Group")
    middle = make.listing(at=near_chicago(8, 200), name="Middle Group")
    near = make.listing(at=near_chicago(1.5, 10), name="Near Group")
    outside = make.listing(at=near_chicago(26, 0), name="Outside Group")

    assert search(zip="60614") == [near.id, middle.id, far.id]

    data = client.get("/api/v1/search?zip=60614").json
    assert [r["id"] for r in data["results"]] == [near.id, middle.id, far.id]
    assert [r["distance_miles"] for r in data["results"]] == pytest.approx([1.5, 8, 20], abs=0.01)
    assert outside.id not in [r["id"] for r in data["results"]]
    assert data["total"] == 3

    assert html_page(client, zip="60614").listing_ids == [near.id, middle.id, far.id]


def test_radius_widens_the_search(make):
    outside = make.listing(at=near_chicago(26, 0))
    assert outside.id not in search(zip="60614")
    assert search(zip="60614", radius=30) == [outside.id]
    assert search(zip="60614", radius=25.99) == []


def test_a_listing_with_several_locations_appears_once_at_its_nearest(client, make):
    item = make.listing(locations=[near_chicago(15, 0), near_chicago(3, 90), near_chicago(40, 180)])
    data = client.get("/api/v1/search?zip=60614").json
    assert [r["id"] for r in data["results"]] == [item.id]
    assert data["results"][0]["distance_miles"] == pytest.approx(3, abs=0.01)
    assert data["results"][0]["location"]["latitude"] == pytest.approx(near_chicago(3, 90)[0])


# -- remote-only listings -------------------------------------------------------------

def test_remote_only_listings_follow_local_ones_in_their_area(client, make):
    local = make.listing(at=near_chicago(2), name="Zeta Local")
    nationwide = make.listing(service_area=["US"], delivery=["online"], name="Alpha Online")
    illinois = make.listing(service_area=["IL", "WI"], delivery=["phone"], name="Beta Phone")
    new_york = make.listing(service_area=["NY"], delivery=["online"], name="Gamma New York")

    assert search(zip="60614") == [local.id, nationwide.id, illinois.id]

    data = client.get("/api/v1/search?zip=60614").json
    assert [r["id"] for r in data["results"]] == [local.id, nationwide.id, illinois.id]
    assert [r["distance_miles"] for r in data["results"]][1:] == [None, None]
    assert data["results"][1]["location"] is None
    assert new_york.id not in [r["id"] for r in data["results"]]

    # In New York the Illinois line is out of area, the New York one in.
    assert search(zip="10001") == [nationwide.id, new_york.id]
    assert html_page(client, zip="60614").listing_ids == [local.id, nationwide.id, illinois.id]


def test_remote_listings_are_ordered_by_name(make):
    items = {name: make.listing(service_area=["US"], name=name) for name in ["Cedar Circle", "Alder Line", "Birch Board"]}
    assert search(zip="60614") == [items[name].id for name in ["Alder Line", "Birch Board", "Cedar Circle"]]


# -- filters: OR within a field, AND across fields ------------------------------------

def test_values_within_a_field_combine_with_or(client, make):
    online = make.listing(zip="60614", delivery=["online"])
    phone = make.listing(zip="60614", delivery=["phone"])
    in_person = make.listing(zip="60614", delivery=["in_person"])
    both = make.listing(zip="60614", delivery=["in_person", "phone"])

    assert set(search(zip="60614", delivery=["online", "phone"])) == {online.id, phone.id, both.id}
    assert set(api_ids(client, zip="60614", delivery=["online", "phone"])) == {online.id, phone.id, both.id}
    assert set(search(zip="60614", delivery="in_person")) == {in_person.id, both.id}
    assert set(search(zip="60614", cost=["free", "fee"], kind="support_program")) == {
        online.id, phone.id, in_person.id, both.id}


def test_fields_combine_with_and(client, make):
    free_online = make.listing(zip="60614", delivery=["online"], cost="free")
    fee_online = make.listing(zip="60614", delivery=["online"], cost="fee")
    free_in_person = make.listing(zip="60614", delivery=["in_person"], cost="free")
    spanish = make.listing(zip="60614", delivery=["online"], cost="free", languages=["es", "en"],
                           audience=["caregivers"])

    assert set(search(zip="60614", delivery="online", cost="free")) == {free_online.id, spanish.id}
    assert set(api_ids(client, zip="60614", delivery="online", cost="free")) == {free_online.id, spanish.id}
    assert search(zip="60614", delivery="online", cost="free", language="es") == [spanish.id]
    assert search(zip="60614", audience="caregivers", language="es", cost="free") == [spanish.id]
    assert search(zip="60614", delivery="online", cost="fee") == [fee_online.id]
    assert free_in_person.id not in search(zip="60614", delivery="online")


@pytest.mark.parametrize("field, wanted, other", [
    ("kind", "counseling", "support_program"),
    ("session_format", "one_on_one", "group"),
    ("moderation", "trained_peer", "unmoderated"),
    ("online_mode", "forum", "video"),
    ("membership", "screened", "open"),
    ("cost", "sliding_scale", "free"),
    ("license_type", "psychologist", "psychiatrist"),
])
def test_each_single_value_field_filters(make, field, wanted, other):
    yes = make.listing(zip="60614", **{field: wanted})
    make.listing(zip="60614", **{field: other})
    assert search(zip="60614", **{field: wanted}) == [yes.id]


@pytest.mark.parametrize("field, attribute, wanted, other", [
    ("delivery", "delivery", "phone", "online"),
    ("audience", "audience", "bereaved", "patients"),
    ("journey_stage", "journey_stage", "end_of_life", "newly_diagnosed"),
    ("language", "languages", "vi", "en"),
])
def test_each_multi_value_field_filters(make, field, attribute, wanted, other):
    yes = make.listing(zip="60614", **{attribute: [wanted, other]})
    make.listing(zip="60614", **{attribute: [other]})
    assert search(zip="60614", **{field: wanted}) == [yes.id]


def test_cancer_type_also_finds_programs_for_any_cancer(client, make):
    breast = make.listing(zip="60614", cancer_type=["breast"])
    any_cancer = make.listing(zip="60614", cancer_type=["any"])
    lung = make.listing(zip="60614", cancer_type=["lung"])
    breast_and_lung = make.listing(zip="60614", cancer_type=["breast", "lung"])

    assert set(search(zip="60614", cancer_type="breast")) == {breast.id, any_cancer.id, breast_and_lung.id}
    assert set(api_ids(client, zip="60614", cancer_type="breast")) == {breast.id, any_cancer.id, breast_and_lung.id}
    assert set(search(zip="60614", cancer_type=["breast", "lung"])) == {
        breast.id, any_cancer.id, lung.id, breast_and_lung.id}
    assert search(zip="60614", cancer_type="any") == [any_cancer.id]


def test_accepting_clients(client, make):
    accepting = make.listing(zip="60614", kind="counseling", license_type="psychologist", accepting_clients=True)
    full = make.listing(zip="60614", kind="counseling", license_type="psychologist", accepting_clients=False)
    unknown = make.listing(zip="60614", kind="counseling", license_type="psychologist", accepting_clients=None)

    assert search(zip="60614", accepting_clients="true") == [accepting.id]
    assert api_ids(client, zip="60614", accepting_clients="true") == [accepting.id]
    assert search(zip="60614", accepting_clients="false") == [full.id]
    assert set(search(zip="60614")) == {accepting.id, full.id, unknown.id}
    assert html_page(client, "/counselors", zip="60614", accepting_clients="true").listing_ids == [accepting.id]


def test_counselors_page_shows_only_counseling(client, make):
    counselor = make.listing(zip="60614", kind="counseling", license_type="clinical_social_worker")
    make.listing(zip="60614", kind="support_program")
    assert html_page(client, "/counselors", zip="60614").listing_ids == [counselor.id]
    assert html_page(client, "/counselors", zip="60614", license_type="psychiatrist").listing_ids == []


# -- words -------------------------------------------------------------------------

def test_q_matches_name_description_and_organization(client, make):
    by_name = make.listing(zip="60614", name="Lakeside Hope Circle")
    by_description = make.listing(zip="60614", description="We meet by the LAKESIDE every week.")
    by_org = make.listing(zip="60614", organization=make.organization(name="Lakeside Cancer Alliance"))
    by_spanish = make.listing(zip="60614", description="Caregivers meet weekly.",
                              description_es="Nos reunimos junto al lago (lakeside) cada semana.")
    make.listing(zip="60614", name="Prairie Group")

    assert search(zip="60614", q="reunimos") == [by_spanish.id]  # a Spanish reader's words find the program
    expected = {by_name.id, by_description.id, by_org.id, by_spanish.id}
    assert set(search(zip="60614", q="lakeside")) == expected
    assert set(api_ids(client, zip="60614", q="LakeSide")) == expected
    assert set(html_page(client, zip="60614", q="lakeside").listing_ids) == expected
    assert search(zip="60614", q="lakeside hope") == [by_name.id]  # every word must match
    assert search(q="alliance") == [by_org.id]  # without a ZIP too


@pytest.mark.parametrize("q, wanted", [
    ("100%", "100% Together"), ("%", "100% Together"), ("team_a", "Team_A Walkers"), ("_", "Team_A Walkers"),
    ("back\\slash", "Back\\slash Club"),
], ids=["percent-word", "percent-alone", "underscore-word", "underscore-alone", "backslash"])
def test_like_wildcards_in_q_are_literal(client, make, q, wanted):
    items = {name: make.listing(zip="60614", name=name, description="")
             for name in ["100% Together", "1000 Together", "Team_A Walkers", "TeamBA Walkers", "Back\\slash Club"]}
    assert search(zip="60614", q=q) == [items[wanted].id]
    assert api_ids(client, zip="60614", q=q) == [items[wanted].id]


# Texts whose words differ in case, alphabet and place (name, descriptions, organization), and words to look
# for in them: short ones, wildcards, letters outside ASCII (the databases' lower() folds only ASCII on SQLite,
# SQLite's FTS5 index every alphabet, Python's casefold more: ß as ss), a word split by the character that
# joins a listing's texts, a word across two texts.
WORD_TEXTS = [
    ("Lakeside Hope Circle", "We meet by the LAKESIDE.", None, "Prairie Alliance"),
    ("Café Ñandú", "Grupo de apoyo en ESPAÑOL.", "Nos reunimos cada semana en el café.", "Fundación Sol"),
    ("ÉCOLE des parents", "Kelvin \u212a and Straße", None, "Ωmega Care"),
    ("100% Together", "Team_A walks; back\\slash club.", "", "Hope Alliance"),
    ("Circle", "Lake", "side", "Hope"),
    ("Plain Group", "nothing special", None, "Org"),
    ('Say "Circle" OR* NEAR(club)', 'col:x ^start """ - AND', None, "Quote Org"),  # FTS5's query syntax, as text
]
WORDS = ["lakeside", "LAKE", "hope circle", "café", "CAFÉ", "ñandú", "español", "école", "ÉCOLE", "straße", "strasse",
         "k", "\u212a", "ωmega", "ΩMEGA", "100%", "%", "team_a", "_", "back\\slash", "ci", "le", "lakeside hope",
         "side hope", "eside", "alliance prairie", "semana café", "zzz", "a", "oup", "ca\x1ffé",
         '"circle"', "or*", "near(club)", '"""', "col:x", "^start", '"" and', "- and"]


def _scanned_ids(q: str) -> set[int]:
    """What a search's words should find, by brute force in Python: the published listings with every word
    (the first eight), case folded, in one of their own texts, case folded."""
    from sqlalchemy import select
    from directory.models import Listing, Organization
    from directory.search import published

    words = [word.casefold() for word in q.split()[:8]]
    rows = db.session.execute(select(Listing.id, Listing.name, Listing.description, Listing.description_es,
                                     Organization.name).join(Organization).where(published())).all()
    return {listing_id for listing_id, *texts in rows
            if all(any(word in (text or "").casefold() for text in texts) for word in words)}


@pytest.mark.parametrize("far_away", [0, 3 * _WordsAmong.INDEX_IDS_A_KEY],
                         ids=["few-with-the-words", "more-with-the-words-than-near"])
def test_words_found_through_the_index_are_what_a_scan_finds(make, far_away):
    """Near a ZIP, the words are checked either on every listing that has them or on the candidates' own
    words (_WordsAmong): with copies of the texts far away, many more listings have the words than are near."""
    near = set()
    for name, description, description_es, organization in WORD_TEXTS:
        near.add(make.listing(zip="60614", name=name, description=description, description_es=description_es,
                              organization=make.organization(name=organization)).id)
        for _ in range(far_away):
            make.listing(zip="10001", name=name, description=description, description_es=description_es,
                         organization=make.organization(name=organization))
    make.listing(zip="60614", name="Lakeside Draft", status="pending")  # never found
    for q in WORDS:
        wanted = _scanned_ids(q)
        assert set(_every_page(zip="60614", q=q)) == wanted & near, q
        assert set(_every_page(q=q)) == wanted, q
    assert _scanned_ids("lakeside") and _scanned_ids("café") and _scanned_ids('"""')  # the texts are found at all
    # Case aside in every alphabet, the same on both databases (SQLite's lower() folds neither É nor ß).
    assert set(_every_page(q="école")) == set(_every_page(q="ÉCOLE")) == _scanned_ids("école") != set()
    assert set(_every_page(q="strasse")) == set(_every_page(q="STRAßE")) == _scanned_ids("straße") != set()


def _words_looked_up(**params) -> tuple[list[int], list[str]]:
    """A search's listing ids, and the statements it ran to find its words (on search_text or search_words)."""
    statements = []
    connection = db.session.connection()  # the one searches read on (database.read_connection)
    if connection.dialect.name == "sqlite":  # every statement, database.driver_rows' too
        driver = connection.connection.driver_connection
        driver.set_trace_callback(statements.append)
        try:
            found = search(**params)
        finally:
            driver.set_trace_callback(None)
    else:  # psycopg has no trace: what goes through SQLAlchemy, and through database.driver_rows
        def seen(_connection, _cursor, statement, *_args):
            statements.append(statement)

        def driver_rows(connection, sql, params=()):
            statements.append(sql)
            return untraced(connection, sql, params)

        untraced = database.driver_rows
        event.listen(db.engine, "before_cursor_execute", seen)
        database.driver_rows = driver_rows
        try:
            found = search(**params)
        finally:
            database.driver_rows = untraced
            event.remove(db.engine, "before_cursor_execute", seen)
    return found, [s for s in statements if re.search(r"FROM search_(text|words)\b", s)]


def _lakeside(make, far: int) -> set[int]:
    """Listings with the word "lakeside": 8 of the 9 candidates of a search near 60614 (6 there, 2 remote
    ones serving Illinois or the country), and `far` more in New York. The ids of the 8."""
    near = {make.listing(zip="60614", name=f"Lakeside {k}", commit=False) for k in range(6)}
    near |= {make.listing(service_area=[area], delivery=["online"], name=f"Lakeside {area}", commit=False)
             for area in ("IL", "US")}
    for k in range(far):
        make.listing(zip="10001", name=f"Lakeside far {k}", commit=False)
    make.listing(zip="60614", name="Prairie", commit=False)
    db.session.commit()
    return {item.id for item in near}


def test_a_search_near_a_place_looks_its_words_up_once(make):
    """The circle's and the areas' candidates are asked about together (search._candidates): one look-up in
    the index and, when it holds many more listings with the words than there are candidates, one read of
    their words, not one of each per part."""
    near = _lakeside(make, far=10 * _WordsAmong.INDEX_IDS_A_KEY)  # far more with the word than candidates
    found, statements = _words_looked_up(zip="60614", q="lakeside", per_page=50)
    assert set(found) == near
    assert len(statements) == 2, statements
    assert "search_words" in statements[0] or db.engine.dialect.name != "sqlite", statements


def test_the_index_alone_finds_an_ascii_word(make):
    """On SQLite, where the FTS5 index holds no more listings with an ASCII word than a few times the
    candidates, its MATCH is the whole answer: no listing's words are read (_fts_decides)."""
    near = _lakeside(make, far=10)
    found, statements = _words_looked_up(zip="60614", q="Lakeside", per_page=50)
    assert set(found) == near
    if db.engine.dialect.name == "sqlite":
        assert len(statements) == 1 and "MATCH" in statements[0], statements


def test_long_s_and_the_kelvin_sign_are_s_and_k(make):
    """The two characters outside ASCII that the FTS5 index folds to ASCII letters are kept and read folded
    (search_index.fold_words), so a search finds the same on either database, through the index or not."""
    long_s = make.listing(zip="60614", name="\u017fupport Circle")
    kelvin = make.listing(zip="60614", name="\u212aindred Group")
    plain = make.listing(zip="60614", name="Support Kindred Circle")
    for q, wanted in (("support", {long_s.id, plain.id}), ("\u017fupport", {long_s.id, plain.id}),
                      ("kindred", {kelvin.id, plain.id}), ("\u212aINDRED", {kelvin.id, plain.id}),
                      ("su", {long_s.id, plain.id}), ("\u212a", {kelvin.id, plain.id})):
        assert set(search(zip="60614", q=q)) == wanted, q
        assert set(search(q=q)) == wanted, q


def _match_old_index(word: str) -> list[int]:
    """On SQLite before d2f6b8a4c0e7, the listings its FTS5 index over search_card finds for a word."""
    from sqlalchemy import text

    return list(db.session.scalars(text("SELECT rowid FROM search_words WHERE search_words MATCH :word"),
                                   {"word": f'"{word}"'}))


def test_the_migration_folds_the_words_already_kept(make):
    """Cards written before words were folded get folded words (migration a3e7c5f1d9b4), and the index
    follows them (SQLite's triggers)."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    item = make.listing(zip="60614", name="Support Circle")
    generation = db.session.execute(text("SELECT generation FROM search_index_state")).scalar()
    downgrade(revision="c9e4a7f2d1b8")
    try:
        db.session.execute(text("UPDATE search_card SET words = :words WHERE listing_id = :id"),
                           {"words": "\u017fupport \u212aindred", "id": item.id})
        db.session.commit()
        upgrade(revision="a3e7c5f1d9b4")
        assert db.session.execute(text("SELECT words FROM search_card WHERE listing_id = :id"),
                                  {"id": item.id}).scalar() == "support kindred"
        assert db.session.execute(text("SELECT generation FROM search_index_state")).scalar() != generation
        if db.engine.dialect.name == "sqlite":
            assert _match_old_index("support") == _match_old_index("kindred") == [item.id]
    finally:
        db.session.rollback()  # its reads' locks would hold up the next migration's (PostgreSQL)
        upgrade()
    assert search(q="support") == search(q="circle") == [item.id]


def test_the_words_move_to_their_own_table_and_back(make):
    """Migration d2f6b8a4c0e7 moves the words from search_card to search_text, case folded by Python, under
    the trigram index; its downgrade puts them back in search_card under the index as it was."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import inspect, text

    item = make.listing(zip="60614", name="ÉCOLE des Parents", description="Straße")
    make.listing(zip="60614", name="École Draft", status="pending")  # never written

    def words_in(table: str) -> dict[int, list[str]]:  # each listing's name and description, as kept
        rows = db.session.execute(text(f"SELECT listing_id, words FROM {table}")).all()
        return {listing_id: words.split("\x1f")[:2] for listing_id, words in rows}

    downgrade(revision="a3e7c5f1d9b4")
    try:
        assert not inspect(db.engine).has_table("search_text")
        assert words_in("search_card") == {item.id: ["école des parents", "strasse"]}
        if db.engine.dialect.name == "sqlite":
            assert _match_old_index("ÉCOLE") == _match_old_index("strasse") == [item.id]
        else:
            assert db.session.execute(text("SELECT 1 FROM pg_indexes WHERE indexname = 'ix_search_card_words'")).scalar()
    finally:
        db.session.rollback()  # its reads' locks would hold up the migration's (PostgreSQL)
        upgrade()
    assert "words" not in {c["name"] for c in inspect(db.engine).get_columns("search_card")}
    assert words_in("search_text") == {item.id: ["école des parents", "strasse"]}
    assert search(q="école") == search(q="STRASSE") == search(q="ÉCOLE") == [item.id]


def test_only_long_s_and_the_kelvin_sign_fold_to_ascii_in_the_index():
    """What _fts_decides rests on: of every code point outside ASCII, SQLite's FTS5 trigram tokenizer folds
    exactly these two to an ASCII character (a change of SQLite's tables would show here)."""
    import sqlite3
    import string

    from directory.search_index import fold_words

    connection = sqlite3.connect(":memory:")
    try:
        connection.execute("CREATE VIRTUAL TABLE t USING fts5(w, tokenize='trigram', detail='none')")
    except sqlite3.OperationalError:
        pytest.skip("this SQLite has no FTS5")
    connection.executemany("INSERT INTO t(rowid, w) VALUES (?, ?)",
                           ((cp, f"q{chr(cp)}q") for cp in range(0x80, 0x110000) if not 0xD800 <= cp <= 0xDFFF))
    folded = {}
    for character in sorted(set(string.printable) - set(string.ascii_uppercase)):  # MATCH folds A as a
        phrase = '"q' + character.replace('"', '""') + 'q"'
        for cp, in connection.execute("SELECT rowid FROM t WHERE t MATCH ?", (phrase,)):
            folded[chr(cp)] = character
    assert folded == {"\u017f": "s", "\u212a": "k"}
    assert {c: fold_words(c) for c in folded} == folded


def test_the_words_follow_a_listing_and_its_organization(make):
    item = make.listing(zip="60614", name="Tuesday Circle", description="Gentle yoga.")
    assert search(q="yoga") == [item.id]
    item.description = "Walks by the river."
    item.organization.name = "Riverside Friends"
    db.session.commit()
    assert search(q="yoga") == []
    assert search(q="walks") == search(q="riverside") == [item.id]


def test_the_migration_made_the_trigram_index(app):
    """Where this database can have one (SQLite with FTS5, PostgreSQL with pg_trgm), a search's words use it."""
    from sqlalchemy import text
    from directory.search import _has_search_words

    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        assert _has_search_words(connection)
    else:
        assert connection.execute(text("SELECT 1 FROM pg_indexes WHERE indexname = 'ix_search_text_words'")).scalar()


# -- only published listings -----------------------------------------------------------

HIDDEN = [{"status": s} for s in ("pending", "rejected", "draft", "archived")] + [
    {"service_status": s} for s in ("inactive", "defunct")]


@pytest.mark.parametrize("hidden", HIDDEN, ids=lambda h: "-".join(f"{k}={v}" for k, v in h.items()))
@pytest.mark.parametrize("where", [{"zip": "60614"}, {"service_area": ["US"]}], ids=["local", "remote"])
def test_unpublished_listings_never_appear(client, make, hidden, where):
    public = make.listing(name="Shared Words Group", **where)
    secret = make.listing(name="Shared Words Group", **where, **hidden)

    for params in ({"zip": "60614"}, {"zip": "60614", "q": "shared words"}, {"q": "shared"}, {}):
        if params:
            assert search(**params) == [public.id]
            assert api_ids(client, **params) == [public.id]
            page = html_page(client, **params)
            assert page.listing_ids == [public.id]
    assert client.get("/api/v1/search?zip=60614").json["total"] == 1

    assert client.get(f"/listings/{public.id}").status_code == 200
    assert client.get(f"/listings/{secret.id}").status_code == 404
    response = client.get(f"/api/v1/listings/{secret.id}")
    assert response.status_code == 404
    assert response.is_json
    assert response.json["error"]["code"] == "not_found"
    assert response.json["error"]["message"]
    assert client.get(f"/api/v1/listings/{public.id}").json["id"] == public.id


# -- pagination ------------------------------------------------------------------------

@pytest.fixture
def mixed_results(make):
    """Five local listings (1..5 miles) then four nationwide remote ones (by name): nine in all."""
    local = [make.listing(at=near_chicago(miles, 45 * miles), commit=False) for miles in (1, 2, 3, 4, 5)]
    remote = [make.listing(service_area=["US"], name=f"Remote {letter}", commit=False) for letter in "ABCD"]
    db.session.commit()
    return [item.id for item in local + remote]


def test_pages_continue_across_the_local_remote_boundary(client, mixed_results):
    assert search(zip="60614", per_page=100) == mixed_results

    pages = [client.get(f"/api/v1/search?zip=60614&per_page=2&page={n}").json for n in (1, 2, 3, 4, 5)]
    assert {(p["total"], p["pages"], p["per_page"]) for p in pages} == {(9, 5, 2)}
    assert [p["page"] for p in pages] == [1, 2, 3, 4, 5]
    ids = [r["id"] for p in pages for r in p["results"]]
    assert ids == mixed_results  # no gaps, no overlap
    assert pages[2]["results"][0]["distance_miles"] is not None
    assert pages[2]["results"][1]["distance_miles"] is None  # page 3 straddles the boundary

    for per_page in (1, 3, 4, 5, 7):
        collected = []
        for n in range(1, 10 // per_page + 2):
            collected += search(zip="60614", per_page=per_page, page=n)
        assert collected == mixed_results, per_page


def test_a_page_past_the_end_is_empty_not_an_error(client, mixed_results):
    response = client.get("/api/v1/search?zip=60614&per_page=2&page=6")
    assert response.status_code == 200
    assert response.json["results"] == []
    assert response.json["total"] == 9
    assert response.json["page"] == 6

    html = client.get("/search?zip=60614&per_page=2&page=6")
    assert html.status_code == 200
    assert PageReader(html.get_data(as_text=True)).listing_ids == []


def test_html_pages_through_results(client, mixed_results):
    first = html_page(client, zip="60614", per_page=4)
    second = html_page(client, zip="60614", per_page=4, page=2)
    third = html_page(client, zip="60614", per_page=4, page=3)
    assert first.listing_ids + second.listing_ids + third.listing_ids == mixed_results


def test_search_without_zip_lists_everything_by_name(client, make):
    b = make.listing(zip="60614", name="B group")
    a = make.listing(service_area=["NY"], name="A group")
    data = client.get("/api/v1/search?q=group").json
    assert data["center"] is None
    assert [r["id"] for r in data["results"]] == [a.id, b.id]
    assert [r["distance_miles"] for r in data["results"]] == [None, None]


# -- the JSON shape (DESIGN.md) -----------------------------------------------------------

def test_api_search_shape(client, make):
    org = make.organization(name="Shape Org")
    local = make.listing(at=near_chicago(4, 300), organization=org, name="Shape Local", delivery=["in_person", "online"],
                         online_mode="video", last_verified=None)
    make.listing(service_area=["IL"], name="Shape Remote")

    response = client.get("/api/v1/search?zip=60614-0001&radius=10&per_page=5")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    data = response.json
    assert data["center"] == {"zip": "60614", "lat": CHICAGO.lat, "lon": CHICAGO.lon, "city": "Chicago", "state": "IL"}
    assert (data["total"], data["page"], data["per_page"]) == (2, 1, 5)

    first, second = data["results"]
    required = {"id", "name", "kind", "organization", "session_format", "delivery", "moderation", "distance_miles",
                "location", "last_verified", "guidance", "url"}
    assert required <= set(first) and required <= set(second)
    assert first["id"] == local.id
    assert first["name"] == "Shape Local"
    assert first["kind"] == "support_program"
    assert first["organization"]["name"] == "Shape Org"
    assert first["session_format"] == "group"
    assert sorted(first["delivery"]) == ["in_person", "online"]
    assert first["moderation"] == "licensed_professional"
    assert first["distance_miles"] == pytest.approx(4, abs=0.01)
    assert isinstance(first["location"], dict)
    assert first["location"]["latitude"] == pytest.approx(near_chicago(4, 300)[0])
    assert first["last_verified"] is None
    assert first["url"].endswith(f"/listings/{local.id}")
    assert first["guidance"] and all(set(note) == {"code", "text"} and note["code"] and note["text"]
                                     for note in first["guidance"])
    assert "not_yet_verified" in [note["code"] for note in local_guidance(client, local.id)]

    assert second["distance_miles"] is None
    assert second["location"] is None
    assert second["last_verified"] == "2026-10-01"


def test_api_bodies_give_their_keys_in_order_as_flask_json_does(client, make):
    make.listing(at=near_chicago(4, 300), last_verified=None)
    make.listing(service_area=["IL"])
    unordered = []

    def check_order(pairs):
        if [key for key, _ in pairs] != sorted(key for key, _ in pairs):
            unordered.append([key for key, _ in pairs])
        return dict(pairs)

    for path in ("/api/v1/search?zip=60614&radius=10", "/api/v1/search", "/api/v1/search?zip=60614&page=9"):
        response = client.get(path)
        assert response.status_code == 200
        json.loads(response.get_data(as_text=True), object_pairs_hook=check_order)
    assert not unordered


def local_guidance(client, listing_id):
    return client.get(f"/api/v1/listings/{listing_id}").json["guidance"]


def test_api_urls_are_the_listing_pages_on_every_url_root(app, client, make):
    # The API builds each result's URL from one url_for per URL root (presenters.listing_url_prefix).
    from flask import url_for

    first, second = make.listing(zip="60614"), make.listing(zip="60614")
    for base_url in ("http://localhost", "https://directory.example", "https://example.org/support-directory"):
        urls = {r["id"]: r["url"] for r in client.get("/api/v1/search?zip=60614", base_url=base_url).json["results"]}
        with app.test_request_context(base_url=base_url):
            assert urls == {item.id: url_for("public.listing", listing_id=item.id, _external=True)
                            for item in (first, second)}
        assert client.get(urls[first.id].removeprefix(base_url), base_url=base_url).status_code == 200


def test_api_listing_detail(client, make):
    item = make.listing(zip="60614", name="Detail Group")
    data = client.get(f"/api/v1/listings/{item.id}").json
    assert data["id"] == item.id
    assert data["name"] == "Detail Group"
    assert data["url"].endswith(f"/listings/{item.id}")
    assert data["locations"][0]["postal_code"] == "60614"


# -- the HTML page ---------------------------------------------------------------------------

def test_html_keeps_the_users_choices(client, make):
    make.listing(zip="60614", delivery=["online"], cost="free", cancer_type=["breast"])
    page = html_page(client, zip="60614", radius="50", q="hope", delivery=["online", "phone"],
                     cancer_type="breast", cost="free", language="es", audience="caregivers")
    assert page.values["zip"] == "60614"
    assert page.values["q"] == "hope"
    assert page.selected["radius"] == "50"
    assert page.checked >= {("delivery", "online"), ("delivery", "phone"), ("cancer_type", "breast"),
                            ("cost", "free"), ("language", "es"), ("audience", "caregivers")}
    assert ("delivery", "in_person") not in page.checked
    assert ("cancer_type", "lung") not in page.checked


def test_html_shows_distance_and_unverified(client, make):
    item = make.listing(at=near_chicago(3.2, 120), name="Unchecked Group", last_verified=None)
    checked = make.listing(at=near_chicago(6.7, 20), name="Checked Group")
    page = html_page(client, zip="60614")
    assert page.listing_ids == [item.id, checked.id]
    assert "3.2 miles" in page.text
    assert "6.7 miles" in page.text
    assert "Not yet verified" in page.text
    assert "Unchecked Group" in page.text
    assert "Chicago" in page.text  # the centre is named


def test_html_escapes_listing_text(client, make):
    make.listing(zip="60614", name="<b>Bold</b> & Co", organization=make.organization(name="<i>Org</i>"))
    body = client.get("/search?zip=60614").get_data(as_text=True)
    assert "<b>Bold</b>" not in body
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; Co" in body
    assert "<i>Org</i>" not in body


@pytest.mark.parametrize("size", [0, 1, 2, 7, 1000])
def test_distinct_ids_are_what_numpy_unique_gives(size):
    """search._distinct and _distinct_first stand in for np.unique (slow in NumPy 2.4) where search counts."""
    ids = np.random.default_rng(size).integers(0, max(1, size // 3), size).astype(np.int32)
    assert np.array_equal(_distinct(ids), np.unique(ids))
    expected_ids, expected_first = np.unique(ids, return_index=True)
    found_ids, found_first = _distinct_first(ids)
    assert np.array_equal(found_ids, expected_ids) and np.array_equal(found_first, expected_first)
    others = np.random.default_rng(size + 1).integers(0, max(1, size // 2), size).astype(np.int32)
    assert np.array_equal(_among_sorted(others, _distinct(ids)), np.isin(others, ids))


@pytest.mark.parametrize("values, span", [(0, 10), (5, 1_000_000), (3_000, 1_000_000), (2_000, 50_000_000)],
                         ids=["none", "few-binary-search", "many-table", "too-wide-for-a-table"])
def test_membership_is_what_numpy_isin_gives(values, span):
    """_among_sorted answers np.isin by binary search or in a table of ids, as it judges cheaper: both the
    same, values outside the span included."""
    rng = np.random.default_rng(values)
    distinct = _distinct(rng.integers(1, span, 500))
    others = np.concatenate([rng.integers(0, span + 10, values), rng.choice(distinct, values // 2 + 1)])
    assert np.array_equal(_among_sorted(others, distinct), np.isin(others, distinct))


@pytest.mark.parametrize("count", [100, 3 * 65536 + 7], ids=["few", "many"])
@pytest.mark.parametrize("positions", ["slice", "array"])
def test_filters_in_parts_pass_what_they_pass_at_once(app, positions, count):
    """_Where.passes takes many entries a part at a time: the same as the masks over all of them at once."""
    from types import SimpleNamespace

    from directory.search import _Where
    from directory.search_cache import today
    from directory import search_index

    rng = np.random.default_rng(7)
    entries = SimpleNamespace(bits_1=rng.integers(0, 1 << 62, count + 50), bits_2=rng.integers(0, 1 << 62, count + 50),
                              fresh=rng.integers(today().toordinal() - 3, today().toordinal() + 3, count + 50).astype(np.int32))
    where = _Where(parse_search_args(MultiDict([("audience", "patients"), ("cost", "free"), ("delivery", "online")])))
    at = slice(20, 20 + count) if positions == "slice" else np.sort(rng.choice(count + 50, count, replace=False))
    expected = entries.fresh[at] >= today().toordinal()
    for field, code in (("audience", "patients"), ("cost", "free"), ("delivery", "online")):
        word, _ = search_index.BIT_LAYOUT[field]
        expected &= ((entries.bits_1 if word == 1 else entries.bits_2)[at] & search_index.mask(field, [code])) != 0
    assert 0 < np.count_nonzero(expected) < count
    assert np.array_equal(where.passes(entries, at), expected)
    keep = rng.random(count) < 0.5
    assert np.array_equal(where.passes(entries, at, keep=keep.copy()), expected & keep)


@pytest.mark.parametrize("count", [0, 1, 20_000, 3 * 65536 + 7])
def test_chords_in_parts_are_the_same_numbers(count):
    """search._chords2 computes a part at a time what the formula over every place gives, to the last bit."""
    from types import SimpleNamespace

    from directory.search import _chords2

    rng = np.random.default_rng(count)
    places = SimpleNamespace(**{axis: rng.uniform(-1, 1, count + 10) for axis in "xyz"})
    at = np.sort(rng.choice(count + 10, count, replace=False))
    center = (0.3, -0.2, 0.9)
    expected = (places.x[at] - center[0]) ** 2 + (places.y[at] - center[1]) ** 2 + (places.z[at] - center[2]) ** 2
    assert np.array_equal(_chords2(places, at, center), expected)


@pytest.mark.parametrize("share", [0.0, 0.003, 0.3, 0.97, 1.0])
def test_masks_select_what_boolean_indexing_selects(share):
    """search._kept and _first_true stand in for column[mask] and np.flatnonzero(mask)[:count] (boolean
    indexing is slow in NumPy 2.4 where a mask has no pattern)."""
    rng = np.random.default_rng(int(share * 1000))
    mask = rng.random(5000) < share
    ranks, ids = rng.random(5000), np.arange(5000, dtype=np.int32)
    kept_ranks, kept_ids = _kept(mask, ranks, ids)
    assert np.array_equal(kept_ranks, ranks[mask]) and np.array_equal(kept_ids, ids[mask])
    if mask.all():
        assert kept_ranks is ranks, "nothing to drop: the column itself, not a copy"
    for count in (0, 1, 20, 200, 4999, 6000):  # past the first span (64), its widenings, and all
        assert np.array_equal(_first_true(mask, count), np.flatnonzero(mask)[:count]), count


@pytest.mark.parametrize("spread", ["even", "crowded centre", "empty centre"])
def test_nearest_first_is_the_shortest_chords_in_order(spread):
    """search._nearest_first looks among the chords under a guess first; it must give what a full sort does."""
    rng = np.random.default_rng(len(spread))
    radius = 50.0
    miles = {"even": radius * np.sqrt(rng.random(20_000)), "crowded centre": radius * rng.random(20_000) ** 3,
             "empty centre": radius * (0.9 + 0.1 * rng.random(20_000))}[spread]
    chord2 = miles * miles
    for limit in (1, 41, 266, 19_999, 20_000, 30_000):
        order = _nearest_first(chord2, limit, radius)
        assert np.array_equal(order, np.argsort(chord2, kind="stable")[:limit]), limit


def test_a_search_reads_on_a_pooled_connection_it_gives_back(app, client, make):
    make.listing(zip="60614")
    with app.app_context():
        fresh = database.read_connection()
        assert not db.session.registry.has(), "a search alone needs no session"
        assert database.read_connection() is fresh
        checked_out = db.engine.pool.checkedout()
    assert fresh.closed
    assert client.get("/api/v1/search?zip=60614").get_json()["total"] == 1
    with app.app_context():
        assert db.engine.pool.checkedout() == checked_out - 1, "the request gave its connection back"


def test_a_search_after_the_session_reads_in_the_sessions_transaction(app, make):
    listing = make.listing(zip="60614")
    with app.app_context():
        assert db.session.get(type(listing), listing.id) is not None
        assert database.read_connection() is db.session.connection()
