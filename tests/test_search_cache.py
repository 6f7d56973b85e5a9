"""Cached search answers (search_cache.py) are the fresh answers: every write is seen by the next search.

The cache is on in the whole suite (a per-process LRU by default), keeping every
answer the first time (conftest.py), so every other search test runs through it
too; these tests make sure that each way a listing changes reaches the next
search, that cached bodies equal fresh ones, and that by default an answer is
kept only once a process has computed it twice.
"""
from __future__ import annotations

import socket
from datetime import date, timedelta

import pytest
from flask import request
from sqlalchemy import select, update

from directory import create_app, freshness, search_cache, search_index
from directory.config import ConfigError
from directory.extensions import db
from directory.api import views as api_views
from directory.geo import lookup_zip
from directory.models import Listing, SearchEntry
from directory.search import parse_search_args, run_search
from tests.test_moderation import Team, latest_revision
from tests.listing_forms import support_group

NEAR = {"zip": "60614", "radius": "25"}


def api(client, **params) -> dict:
    response = client.get("/api/v1/search", query_string={**NEAR, **params})
    assert response.status_code == 200, response.json
    return response.json


def names(client, **params) -> list[str]:
    return [r["name"] for r in api(client, **params)["results"]]


def html(client, **params) -> str:
    return client.get("/search", query_string={**NEAR, **params}).get_data(as_text=True)


@pytest.fixture
def cache(app):
    """A fresh per-process cache for the test (the app's own, emptied)."""
    app.extensions.pop("search_cache", None)
    yield search_cache.get_cache()
    app.extensions.pop("search_cache", None)


@pytest.fixture
def no_cache(app):
    def fresh(client, path: str, params: dict) -> bytes:
        saved = app.extensions.get("search_cache")
        app.extensions["search_cache"] = None
        try:
            return client.get(path, query_string=params).get_data()
        finally:
            app.extensions["search_cache"] = saved
    return fresh


@pytest.fixture
def team(client, auth, make):
    return Team(client, auth, make)


def test_a_cached_answer_is_byte_for_byte_the_fresh_one(client, make, cache, no_cache):
    for k in range(30):
        make.listing(zip=["60614", "60622", "60657"][k % 3], commit=False, cost=["free", "fee"][k % 2],
                     delivery=["in_person", "online"][: 1 + k % 2])
    make.listing(service_area=["IL"], delivery=["online"], commit=False)
    db.session.commit()
    for params in ({**NEAR}, {**NEAR, "cost": "free", "page": "2", "per_page": "7"}, {"q": "Test"},
                   {**NEAR, "delivery": ["online", "phone"]}):
        first = client.get("/api/v1/search", query_string=params).get_data()
        hits = cache.hits
        second = client.get("/api/v1/search", query_string=params).get_data()
        assert cache.hits > hits, "the second request is answered from the cache"
        assert first == second == no_cache(client, "/api/v1/search", params)
        assert client.get("/search", query_string=params).get_data() == no_cache(client, "/search", params)


def test_the_same_query_spelled_differently_shares_an_answer(client, make, cache):
    make.listing(zip="60614", delivery=["online", "phone"])
    a = client.get("/api/v1/search?zip=60614&delivery=online&delivery=phone").get_data()
    hits = cache.hits
    b = client.get("/api/v1/search?delivery=phone&zip=60614&delivery=online&radius=25.0").get_data()
    assert a == b and cache.hits > hits


def test_the_language_and_host_are_part_of_a_json_answer(client, make, cache):
    make.listing(zip="60614", delivery=["online"], moderation="unmoderated")
    english = api(client)["results"][0]["guidance"]
    spanish = client.get("/api/v1/search?zip=60614", headers={"Accept-Language": "es"}).json["results"][0]["guidance"]
    assert english and [n["code"] for n in spanish] == [n["code"] for n in english]
    assert [n["text"] for n in spanish] != [n["text"] for n in english]
    other_host = client.get("/api/v1/search?zip=60614", base_url="https://other.example").json["results"][0]
    assert other_host["url"].startswith("https://other.example/")


def test_orm_writes_reach_the_next_search(client, make, cache):
    item = make.listing(zip="60614", name="Alder Circle", cost="free")
    assert names(client) == ["Alder Circle"] and names(client, cost="fee") == []

    item.cost = "fee"  # edit a column
    db.session.commit()
    assert names(client, cost="fee") == ["Alder Circle"] and names(client, cost="free") == []

    item.name = "Birch Circle"  # edit what a result shows
    db.session.commit()
    assert names(client) == ["Birch Circle"]
    assert "Birch Circle" in html(client)

    item.set_codes("language", ["en", "vi"])  # edit codes (no change to the listing's row)
    db.session.commit()
    assert names(client, language="vi") == ["Birch Circle"]
    assert api(client)["results"][0]["languages"] == ["en", "vi"]

    item.organization.name = "Renamed Alliance"  # results show the organization's name
    db.session.commit()
    assert api(client)["results"][0]["organization"]["name"] == "Renamed Alliance"
    assert "Renamed Alliance" in html(client)

    far = lookup_zip("10001")  # move its location
    item.locations[0].latitude, item.locations[0].longitude, item.locations[0].city = far.lat, far.lon, "New York"
    db.session.commit()
    assert names(client) == [] and names(client, zip="10001") == ["Birch Circle"]
    assert api(client, zip="10001")["results"][0]["location"]["city"] == "New York"

    second = make.listing(zip="10001", name="Cedar Circle")  # create
    assert names(client, zip="10001") == ["Birch Circle", "Cedar Circle"] or \
        names(client, zip="10001") == ["Cedar Circle", "Birch Circle"]

    item.status = "archived"  # unpublish
    db.session.commit()
    assert names(client, zip="10001") == ["Cedar Circle"]

    db.session.delete(second)  # delete
    db.session.commit()
    assert names(client, zip="10001") == []


def test_approving_editing_confirming_and_archiving_reach_the_next_search(client, make, cache, team):
    team.as_coordinator()
    team.submit(support_group(name="Sunrise circle"))
    listing = db.session.scalar(select(Listing))
    team.auth.logout()
    assert "Sunrise circle" not in names(client, q="Sunrise")

    team.as_moderator()
    team.approve(latest_revision().id)  # approve
    team.auth.logout()
    assert names(client, q="Sunrise") == ["Sunrise circle"]

    team.as_coordinator()
    team.submit(support_group(name="Sunset circle"), listing_id=listing.id)  # edit, then approve the edit
    team.as_moderator()
    team.approve(latest_revision().id)
    team.auth.logout()
    assert names(client, q="Sunset") == ["Sunset circle"] and names(client, q="Sunrise") == []

    db.session.execute(update(Listing).where(Listing.id == listing.id)  # make it old (behind the ORM)...
                       .values(last_verified=date.today() - timedelta(days=200)))
    search_index.refresh(db.session.connection(), [listing.id])  # ...as such writes must: refresh
    db.session.commit()
    assert api(client, q="Sunset")["results"][0]["last_verified"] == (date.today() - timedelta(days=200)).isoformat()

    team.as_coordinator()
    assert client.post(f"/coordinator/listings/{listing.id}/confirm",  # confirm it is still accurate
                       data={"csrf_token": team.auth.csrf_token("/coordinator/")}).status_code == 302
    team.auth.logout()
    assert api(client, q="Sunset")["results"][0]["last_verified"] == date.today().isoformat()

    team.as_coordinator()
    client.post(f"/coordinator/listings/{listing.id}/archive", data={"csrf_token": team.auth.csrf_token("/coordinator/")})
    team.auth.logout()
    assert names(client, q="Sunset") == []


def test_a_listing_leaves_search_when_it_expires_without_any_write(client, make, cache, monkeypatch):
    """Expiry is by date, not by a write: the date is part of the key."""
    today = date.today()
    make.listing(zip="60614", name="Aging Circle", last_verified=today - timedelta(days=freshness.EXPIRED_DAYS))
    assert names(client) == ["Aging Circle"]
    assert names(client) == ["Aging Circle"]  # now cached

    class Tomorrow(date):
        @classmethod
        def today(cls):
            return today + timedelta(days=1)

    monkeypatch.setattr(freshness, "date", Tomorrow)
    monkeypatch.setattr(search_cache, "date", Tomorrow)
    assert names(client) == []


def test_writes_that_bypass_the_orm_are_seen_once_they_refresh_the_index(client, make, cache):
    item = make.listing(zip="60614", name="Quiet Circle")
    assert names(client) == ["Quiet Circle"]
    db.session.execute(update(Listing).where(Listing.id == item.id).values(status="archived"))
    search_index.refresh(db.session.connection(), [item.id])
    db.session.commit()
    assert names(client) == []
    assert db.session.scalar(select(SearchEntry.id).where(SearchEntry.listing_id == item.id)) is None


def test_an_uncommitted_write_is_not_served_to_others(app, client, make, cache):
    """A generation written in a transaction that rolls back is never seen again."""
    item = make.listing(zip="60614", name="Steady Circle")
    assert names(client) == ["Steady Circle"]
    item.name = "Passing Name"
    db.session.flush()  # the writer's transaction has a new generation (and would cache under it)
    db.session.rollback()
    assert names(client) == ["Steady Circle"]


def test_an_answer_read_inside_a_writers_transaction_is_never_kept(app, client, make, cache):
    """What a writer's transaction reads is its own until it commits, and may change again under the
    same generation before then: none of it is kept (run_search and cached_json alike)."""
    item = make.listing(zip="60614", name="Steady Circle")
    item.name = "Passing Name"
    db.session.flush()
    with app.test_request_context("/api/v1/search", query_string=NEAR):  # searching in the writer's transaction
        assert [r["name"] for r in api_views.search().json["results"]] == ["Passing Name"]
        assert [hit.listing.name for hit in run_search(parse_search_args(request.args)).hits] == ["Passing Name"]
    assert not cache.local.items
    db.session.rollback()
    assert names(client) == ["Steady Circle"]
    assert "Passing Name" not in html(client) and "Steady Circle" in html(client)


def test_the_api_keeps_its_answer_once(client, make, cache):
    """The API keeps its whole body; its rows apart would be a second write for a hit it cannot use."""
    make.listing(zip="60614", name="Alder Circle")
    api(client)
    assert cache.stats == {"json": {"hit": 0, "miss": 1}}
    assert len(cache.local.items) == 1
    html(client)
    assert cache.stats["rows"] == {"hit": 0, "miss": 1}


@pytest.fixture
def admit_after_two(app):
    """The app's cache with the default admission: an answer kept the second time it is computed."""
    app.extensions.pop("search_cache", None)
    app.config["SEARCH_CACHE_ADMIT_AFTER"] = 2
    yield search_cache.get_cache()
    app.config["SEARCH_CACHE_ADMIT_AFTER"] = 1
    app.extensions.pop("search_cache", None)


def test_by_default_an_answer_is_kept_the_second_time_it_is_computed(client, make, admit_after_two):
    cache = admit_after_two
    make.listing(zip="60614", name="Alder Circle")
    bodies = [client.get("/api/v1/search", query_string=NEAR).get_data() for _ in range(3)]
    assert bodies[0] == bodies[1] == bodies[2]
    assert cache.stats["json"] == {"hit": 1, "miss": 2}  # computed twice, then kept
    assert len(cache.local.items) == 1
    for _ in range(2):
        html(client)
    assert cache.stats["rows"] == {"hit": 0, "miss": 2} and len(cache.local.items) == 2
    assert html(client) and cache.stats["rows"] == {"hit": 1, "miss": 2}


def test_one_off_searches_do_not_push_out_a_repeated_one(client, make, admit_after_two):
    cache = admit_after_two
    make.listing(zip="60614", name="Alder Circle")
    for _ in range(2):
        api(client)  # kept
    for page in range(2, 40):  # asked once each: none is kept
        api(client, page=str(page), per_page="1")
    assert len(cache.local.items) == 1
    hits = cache.hits
    api(client)
    assert cache.hits == hits + 1


def test_admission_forgets_what_it_has_seen_at_a_bound(monkeypatch):
    monkeypatch.setattr(search_cache, "SEEN_KEYS", 3)
    admission = search_cache._Admission(2)
    assert [admission.admits(key) for key in "abc"] == [False] * 3
    assert admission.admits("a")  # the second time
    assert not admission.admits("a")  # counted afresh once admitted
    assert [admission.admits(key) for key in "de"] == [False, False]  # three seen: forgotten, then d, e
    assert not admission.admits("b") and len(admission.seen) <= 3
    assert search_cache._Admission(1).admits("x")


def test_caching_can_be_turned_off(app, client, make):
    app.extensions.pop("search_cache", None)
    app.config["SEARCH_CACHE_URL"] = "off"
    try:
        assert search_cache.get_cache() is None
        make.listing(zip="60614", name="Plain Circle")
        assert names(client) == ["Plain Circle"]
    finally:
        app.config.pop("SEARCH_CACHE_URL")
        app.extensions.pop("search_cache", None)


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.2).close()
        return True
    except OSError:
        return False


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_a_shared_redis_cache_serves_other_processes_and_follows_writes(app, client, make):
    app.extensions.pop("search_cache", None)
    app.config["SEARCH_CACHE_URL"] = "redis://127.0.0.1:6379/15"
    try:
        item = make.listing(zip="60614", name="Shared Circle")
        first = client.get("/api/v1/search", query_string=NEAR).get_data()
        app.extensions.pop("search_cache", None)  # another process: empty local cache, same Redis
        other = search_cache.get_cache()
        second = client.get("/api/v1/search", query_string=NEAR).get_data()
        assert second == first and other.hits >= 1
        item.name = "Shared Circle Renamed"
        db.session.commit()
        assert names(client) == ["Shared Circle Renamed"]
    finally:
        app.config.pop("SEARCH_CACHE_URL")
        app.extensions.pop("search_cache", None)


def test_search_works_when_redis_is_down(app, client, make):
    app.extensions.pop("search_cache", None)
    app.config["SEARCH_CACHE_URL"] = f"redis://127.0.0.1:{_closed_port()}/0"
    try:
        make.listing(zip="60614", name="Sturdy Circle")
        assert names(client) == ["Sturdy Circle"]
        assert names(client) == ["Sturdy Circle"]
    finally:
        app.config.pop("SEARCH_CACHE_URL")
        app.extensions.pop("search_cache", None)


BAD_SETTINGS = [
    ("SEARCH_CACHE_TTL", "abc"), ("SEARCH_CACHE_TTL", "0"), ("SEARCH_CACHE_TTL", "-5"), ("SEARCH_CACHE_TTL", "2.5"),
    ("SEARCH_CACHE_TTL", "9" * 40), ("SEARCH_CACHE_LOCAL_MB", "nan"), ("SEARCH_CACHE_LOCAL_MB", "1e400"),
    ("SEARCH_CACHE_LOCAL_MB", "-1"), ("SEARCH_CACHE_LOCAL_MB", "4 MB"), ("SEARCH_CACHE_ADMIT_AFTER", "<b>2</b>"),
    ("SEARCH_CACHE_ADMIT_AFTER", "0"), ("SEARCH_CACHE_ADMIT_AFTER", "1; DROP TABLE listing"),
    ("SEARCH_CACHE_URL", "http://127.0.0.1:6379/2"), ("SEARCH_CACHE_URL", "127.0.0.1:6379"),
]


@pytest.mark.parametrize("name, value", BAD_SETTINGS, ids=[f"{n}={v[:12]}" for n, v in BAD_SETTINGS])
def test_a_malformed_cache_setting_stops_the_app_at_start_with_its_name(monkeypatch, tmp_path, name, value):
    """An operator's typo is a ConfigError naming the variable when the app is made, not a 500 at the
    first search."""
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name) as raised:
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    assert len(str(raised.value)) < 200  # a huge value is not echoed whole


@pytest.mark.parametrize("settings, wanted", [
    ({"SEARCH_CACHE_URL": "OFF"}, None),
    ({"SEARCH_CACHE_LOCAL_MB": "0"}, None),
    ({"SEARCH_CACHE_LOCAL_MB": "0.5", "SEARCH_CACHE_TTL": " 60 ", "SEARCH_CACHE_ADMIT_AFTER": "3"}, (524288, 60, 3)),
], ids=["off", "no-local-cache", "set"])
def test_well_formed_cache_settings_are_taken(monkeypatch, tmp_path, settings, wanted):
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    with app.app_context():
        cache = search_cache.get_cache()
    if wanted is None:
        assert cache is None
    else:
        assert (cache.local.max_bytes, cache.ttl, cache.admission.after) == wanted
