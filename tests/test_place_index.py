"""Each process's copy of the places (place_index.py) follows every write: no search ever sees a stale place.

The copy is brought up to date before each search by reading the change log
(search_index_change) after the last seq it applied, or by reloading
everything when it must (a rebuild, a log pruned past it). These tests make
writes in each way they happen (the ORM, another worker's connection, an
uncommitted transaction, a rebuild, a long absence) and check both what the
next search finds and how the copy got there, since a copy that silently
reloaded everything would still be right but cost seconds at a million places.

Searches run as the next visitor's request would (`hits`: an app context,
session and connection of their own), or inside the test's transaction where
that is the point (`own_hits`). The search cache is off here, so that every
search reads the places.
"""
from __future__ import annotations

import random
import threading
from datetime import date, timedelta

import numpy as np
import pytest
from flask import current_app
from sqlalchemy import delete, func, select, update
from werkzeug.datastructures import MultiDict

from directory import place_index, search_index
from directory.extensions import db
from directory.geo import lookup_zip
from directory.models import Listing, Location, SearchEntry, ServiceAtLocation
from directory.models.search_entry import SearchIndexChange
from directory.search import parse_search_args, run_search
from tests.test_search_index import reference_search


@pytest.fixture(autouse=True)
def index(app):
    """A new, empty copy of the places for the test, and no search cache in front of it."""
    app.extensions["search_cache"] = None
    app.extensions["place_index"] = fresh = place_index.PlaceIndex()
    yield fresh
    app.extensions.pop("search_cache", None)
    app.extensions.pop("place_index", None)


@pytest.fixture
def loads(monkeypatch) -> list:
    """Every full load of the places (place_index.load), as it is called."""
    calls = []
    real = place_index.load

    def counted(connection, *args, **kwargs):
        calls.append(args)
        return real(connection, *args, **kwargs)

    monkeypatch.setattr(place_index, "load", counted)
    return calls


def own_hits(zip_code: str = "60614", radius: int = 25, **filters) -> list[int]:
    """The listings a search finds in the test's own transaction (its uncommitted writes included)."""
    params = MultiDict({"zip": zip_code, "radius": str(radius), "per_page": "100", **filters})
    return sorted(hit.listing.id for hit in run_search(parse_search_args(params)).hits)


def hits(zip_code: str = "60614", radius: int = 25, **filters) -> list[int]:
    """The listings the next visitor's search finds: a request of its own (app context, session, connection)."""
    with current_app.app_context():
        return own_hits(zip_code, radius, **filters)


def town(make, n: int = 12) -> list[int]:
    """n listings within ten miles of ZIP 60614 (so that one changed listing is a small share of them)."""
    center = lookup_zip("60614")
    for k in range(n):
        make.listing(at=(center.lat + 0.01 * (k % 4), center.lon - 0.015 * (k // 4)), commit=False,
                     cost=["free", "fee"][k % 2])
    db.session.commit()
    return sorted(db.session.scalars(select(Listing.id)))


def move(location_id: int, lat: float, lon: float) -> None:
    location = db.session.get(Location, location_id)
    location.latitude, location.longitude = lat, lon
    db.session.commit()


def location_of(listing_id: int) -> int:
    return db.session.scalar(select(ServiceAtLocation.location_id).where(ServiceAtLocation.listing_id == listing_id))


def shared(app) -> place_index.Places:
    return place_index.for_app(app).places


def rows_of(places: place_index.Places) -> list[tuple]:
    return sorted(zip(places.listing_id.tolist(), places.location_id.tolist(), places.lat.tolist(),
                      places.lon.tolist(), places.bits_1.tolist(), places.bits_2.tolist(), places.fresh.tolist(),
                      places.places.tolist()))


def rows_in_database() -> list[tuple]:
    return sorted((listing_id, location_id, lat, lon, bits_1, bits_2, 0 if fresh is None else fresh.toordinal(),
                   count)
                  for listing_id, location_id, lat, lon, bits_1, bits_2, fresh, count in db.session.execute(
                      select(SearchEntry.listing_id, SearchEntry.location_id, SearchEntry.latitude,
                             SearchEntry.longitude, SearchEntry.filter_bits_1, SearchEntry.filter_bits_2,
                             SearchEntry.fresh_until, SearchEntry.listing_places)
                      .where(SearchEntry.band.is_not(None))))


def remote_rows_of(places: place_index.Places) -> list[tuple]:
    remote = places.remote
    return sorted(zip(remote.area.tolist(), remote.listing_id.tolist(), remote.bits_1.tolist(),
                      remote.bits_2.tolist(), remote.fresh.tolist()))


def remote_rows_in_database() -> list[tuple]:
    return sorted((area, listing_id, bits_1, bits_2, 0 if fresh is None else fresh.toordinal())
                  for area, listing_id, bits_1, bits_2, fresh in db.session.execute(
                      select(SearchEntry.area, SearchEntry.listing_id, SearchEntry.filter_bits_1,
                             SearchEntry.filter_bits_2, SearchEntry.fresh_until)
                      .where(SearchEntry.area.is_not(None))))


def remote_order_in_database() -> list[int]:
    """Remote entries' listings in a remote page's order: by name in the database's collation, then id."""
    return list(db.session.scalars(select(SearchEntry.listing_id).where(SearchEntry.area.is_not(None))
                                   .order_by(SearchEntry.sort_name, SearchEntry.listing_id)))


def assert_equals_database(places: place_index.Places) -> None:
    assert rows_of(places) == rows_in_database()
    assert bool(np.all(np.diff(places.key) >= 0)), "the places stay sorted by (band, longitude)"
    remote = places.remote
    assert remote_rows_of(places) == remote_rows_in_database()
    assert list(remote.area) == sorted(remote.area), "remote entries stay sorted by area"
    assert remote.listing_id[np.argsort(remote.rank)].tolist() == remote_order_in_database()
    for area in set(remote.area.tolist()):
        assert bool(np.all(np.diff(remote.rank[remote.in_area(area)]) > 0)), "each area's entries in rank order"


def test_orm_writes_reach_the_next_search_by_following_the_log(app, make, loads):
    """A listing created, moved, unpublished or deleted is found, moved or gone in the very next search,
    and the copy rereads only the listings the log names (a full reload costs seconds at scale)."""
    center, far = lookup_zip("60614"), lookup_zip("10001")
    others = town(make)
    assert hits() == others and len(loads) == 1
    epoch, seq = shared(app).epoch, shared(app).seq

    def followed_the_log():
        nonlocal seq
        places = shared(app)
        assert len(loads) == 1 and places.epoch == epoch and places.seq > seq
        seq = places.seq
        assert_equals_database(places)

    item = make.listing(at=(center.lat + 0.05, center.lon), name="Willow Circle")  # create
    assert hits() == sorted([*others, item.id])
    followed_the_log()

    move(item.locations[0].id, far.lat, far.lon)  # move
    assert hits() == others and hits("10001") == [item.id]
    followed_the_log()

    item.status = "pending"  # unpublish
    db.session.commit()
    assert hits("10001") == []
    followed_the_log()

    db.session.delete(db.session.get(Listing, others[0]))  # delete
    db.session.commit()
    assert hits() == others[1:]
    followed_the_log()


def test_a_write_committed_by_another_worker_reaches_this_workers_next_search(app, make, loads):
    """Another process (its own connection, a Core update plus search_index.refresh) moves a listing:
    this process's next search sees it there, having read only that listing again."""
    others = town(make)
    assert hits() == others and len(loads) == 1
    moved, far = others[3], lookup_zip("10001")
    with db.engine.connect() as other:
        other.execute(update(Location).where(Location.id == location_of(moved))
                      .values(latitude=far.lat, longitude=far.lon))
        search_index.refresh(other, [moved])
        other.commit()
    assert hits() == [i for i in others if i != moved] and hits("10001") == [moved]
    assert len(loads) == 1
    assert_equals_database(shared(app))


def test_uncommitted_rewrites_are_seen_by_their_own_transaction_only(app, make):
    """A writer finds what it has flushed but not committed; no one else ever does, and once it rolls back
    neither does it (the shared copy only ever holds committed places)."""
    copies = []  # every copy ever shared

    class Watched(place_index.PlaceIndex):
        def __setattr__(self, name, value):
            if name == "places" and value is not None:
                copies.append(value)
            super().__setattr__(name, value)

    app.extensions["place_index"] = Watched()
    center = lookup_zip("60614")
    others = town(make)
    assert hits() == others

    item = make.listing(at=(center.lat + 0.02, center.lon + 0.02), commit=False)  # flushed, not committed
    item_id = item.id
    assert search_index.has_pending_rewrites(db.session.connection())
    assert own_hits() == sorted([*others, item_id])
    assert hits() == others  # another request, meanwhile

    db.session.rollback()
    assert own_hits() == others and hits() == others
    assert copies and all(item_id not in copy.listing_id for copy in copies)
    assert_equals_database(shared(app))


def test_a_committed_rebuild_reloads_every_place(app, make, loads):
    """search_index.rebuild rewrites every entry and empties the log: the next search reloads all the
    places (it cannot follow the log), and later writes are followed from there."""
    others = town(make)
    assert hits() == others and len(loads) == 1
    epoch = shared(app).epoch

    search_index.rebuild(db.session.connection())
    db.session.commit()
    assert hits() == others
    assert len(loads) == 2 and shared(app).epoch != epoch
    assert shared(app).epoch == search_index.current_state(db.session.connection())[1]

    far = lookup_zip("10001")
    move(location_of(others[0]), far.lat, far.lon)
    assert hits("10001") == [others[0]] and len(loads) == 2
    assert_equals_database(shared(app))


def test_a_copy_further_behind_than_the_log_reaches_reloads_everything(app, make, loads, monkeypatch):
    """A process away longer than the log keeps (KEEP_CHANGES) cannot know what it missed: it reloads
    everything, and so still finds a listing whose only change row was pruned. Exactly KEEP_CHANGES
    behind, nothing is lost and it follows the log."""
    keep = 3
    monkeypatch.setattr(search_index, "KEEP_CHANGES", keep)
    # The writers' prune is built from the constant at import: build it again as refresh() would run it.
    monkeypatch.setattr(search_index, "_PRUNE_CHANGES", delete(SearchIndexChange).where(
        SearchIndexChange.seq <= select(func.max(SearchIndexChange.seq)).scalar_subquery() - keep))
    center, far = lookup_zip("60614"), lookup_zip("10001")
    others = town(make)
    a, b = others[0], others[1]
    assert hits() == others and len(loads) == 1

    def wander(count: int) -> None:  # b moves about town: each move one change row
        for k in range(count):
            move(location_of(b), center.lat + 0.001 * (k + 1), center.lon)

    move(location_of(a), far.lat, far.lon)  # exactly `keep` changes behind: all still in the log
    wander(keep - 1)
    assert hits() == others[1:] and hits("10001") == [a]
    assert len(loads) == 1

    seq = shared(app).seq
    move(location_of(a), center.lat, center.lon)  # one more than `keep` behind: a's move is pruned
    wander(keep)
    changes = db.session.execute(select(SearchIndexChange.seq, SearchIndexChange.listing_id)).all()
    assert len(changes) == keep and {listing_id for _, listing_id in changes} == {b}
    assert min(s for s, _ in changes) > seq + 1, "a's change row is gone"
    assert hits() == others and hits("10001") == []
    assert len(loads) == 2
    assert_equals_database(shared(app))


@pytest.mark.parametrize("remote_placed", [place_index.REMOTE_PLACED, 0], ids=["ranked-in-place", "read-again"])
def test_the_copy_equals_the_database_after_any_mix_of_writes(app, make, monkeypatch, remote_placed):
    """Whatever mix of creates, moves, filter changes, renames, unpublishing and deletes happens (committed or
    rolled back), every search returns what a full scan returns and the shared copy holds exactly the
    database's places, sorted, and its remote entries in the database's order: whether changed remote-only
    listings are ranked between their neighbours or all remote entries are read again."""
    monkeypatch.setattr(place_index, "REMOTE_PLACED", remote_placed)
    remote_reads, remote_updates = [], []  # every remote entry read; how each changed copy was made
    real_load_remote, real_with_changes = place_index._load_remote, place_index._remote_with_changes
    monkeypatch.setattr(place_index, "_load_remote", lambda *a: remote_reads.append(1) or real_load_remote(*a))

    def with_changes(connection, remote, changed):
        reads = len(remote_reads)
        updated = real_with_changes(connection, remote, changed)
        if updated is not remote:
            remote_updates.append("read again" if len(remote_reads) > reads else "ranked in place")
        return updated
    monkeypatch.setattr(place_index, "_remote_with_changes", with_changes)
    rng = random.Random(20261121)
    zips = ["60614", "60622", "60657"]
    center = lookup_zip("60614")

    def somewhere():
        return center.lat + rng.uniform(-0.3, 0.3), center.lon + rng.uniform(-0.3, 0.3)

    def create():
        make.listing(locations=[somewhere() for _ in range(rng.choice([1, 1, 2]))], commit=False,
                     cost=rng.choice(["free", "fee"]), languages=rng.choice([["en"], ["en", "es"], ["vi"]]))

    # Names whose order differs between the database's lower() and Python's (remote pages are by name).
    names = ["alder", "Birch", "Élan", "élan", "cedar", "Zed", "birch 2", "Alder"]

    def create_remote():  # online only: found by its service area, counted from the copy's remote entries
        make.listing(service_area=rng.choice([["IL"], ["US"], ["IL", "WI"], ["WI"]]), delivery=["online"],
                     commit=False, cost=rng.choice(["free", "fee"]), name=rng.choice(names))

    for _ in range(8):
        create()
    for _ in range(3):
        create_remote()
    db.session.commit()

    def listing() -> Listing:
        return db.session.get(Listing, rng.choice(db.session.scalars(select(Listing.id).order_by(Listing.id)).all()))

    def relocate():
        location = db.session.get(Location, rng.choice(db.session.scalars(select(Location.id)).all()))
        location.latitude, location.longitude = somewhere()

    def add_place():
        item = listing()
        lat, lon = somewhere()
        item.service_at_locations.append(ServiceAtLocation(location=Location(
            organization_id=item.organization_id, address_1="2 Test St", city="Testville", state="IL",
            postal_code="60614", latitude=lat, longitude=lon)))

    writes = [
        create, create, create, relocate, relocate, relocate, add_place, create_remote,
        lambda: listing().set_codes("service_area", rng.choice([["IL"], ["US"], ["WI"], ["IL", "IN"]])),
        lambda: db.session.delete(listing()),
        lambda: setattr(listing(), "cost", rng.choice(["free", "fee", "insurance"])),
        lambda: setattr(listing(), "name", rng.choice(names)),  # a remote one moves in its pages
        lambda: listing().set_codes("language", rng.choice([["en"], ["es"], ["en", "zh"]])),
        lambda: setattr(listing(), "status", rng.choice(["approved", "approved", "pending"])),
        lambda: setattr(listing(), "last_verified", date.today() - timedelta(days=rng.choice([0, 100, 400]))),
    ]

    def search(own: bool) -> None:
        params = [("zip", rng.choice(zips)), ("radius", rng.choice(["5", "15", "30"])), ("per_page", "100")]
        if rng.random() < 0.3:
            params.append(rng.choice([("cost", "free"), ("language", "es")]))
        if own:
            page = run_search(parse_search_args(MultiDict(params)))
        else:
            with current_app.app_context():
                page = run_search(parse_search_args(MultiDict(params)))
        assert (page.total, [(h.listing.id, h.distance_miles) for h in page.hits]) == \
            reference_search(params), params

    for _ in range(20):  # a request: one or two writes, perhaps a search of its own, then commit or roll back
        for _ in range(rng.choice([1, 1, 2])):
            write = rng.choice(writes) if db.session.scalar(select(func.count(Listing.id))) else create
            write()
        db.session.flush()
        if rng.random() < 0.3:
            search(own=True)
        if rng.random() < 0.15:
            db.session.rollback()
        else:
            db.session.commit()
        search(own=False)
    hits()
    assert not search_index.has_pending_rewrites(db.session.connection())
    assert shared(app).size >= 5, "the mix left places to compare"
    assert len(shared(app).remote.listing_id) >= 2, "and remote listings"
    assert_equals_database(shared(app))
    if remote_placed:
        assert remote_updates.count("ranked in place") >= 5, remote_updates
    else:
        assert remote_updates and set(remote_updates) == {"read again"}


def test_searches_in_many_threads_while_another_writes(app, make):
    """Workers run searches in threads: while one thread writes and commits, others bring the shared copy
    up to date without errors, never see a listing twice or not at all, and end with the database's places."""
    center = lookup_zip("60614")
    others = town(make)
    mover, location_id = others[0], location_of(others[0])
    assert hits() == others
    db.session.commit()
    index = place_index.for_app(app)
    engine = db.engine
    errors: list[BaseException] = []
    start, written = threading.Barrier(5), threading.Event()

    def read():
        try:
            with app.app_context(), engine.connect() as connection:
                start.wait(timeout=30)
                rounds = 0
                while not written.is_set() or rounds < 5:
                    places = index.current(connection, search_index.current_state(connection))
                    connection.rollback()  # a request's end
                    assert bool(np.all(np.diff(places.key) >= 0))
                    assert int(np.count_nonzero(places.listing_id == mover)) == 1
                    rounds += 1
        except BaseException as exc:  # reported by the test's thread
            errors.append(exc)

    def write():
        try:
            with app.app_context():
                start.wait(timeout=30)
                for k in range(15):
                    location = db.session.get(Location, location_id)
                    location.latitude = center.lat + 0.002 * (k % 7)
                    db.session.commit()
        except BaseException as exc:
            errors.append(exc)
        finally:
            written.set()

    threads = [threading.Thread(target=read) for _ in range(4)] + [threading.Thread(target=write)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert not errors, errors
    connection = db.session.connection()
    assert_equals_database(index.current(connection, search_index.current_state(connection)))
    assert hits() == others


def test_a_request_can_write_after_it_searched(make):
    """A request that searches and then writes in the same transaction (a coordinator's page that lists
    nearby programs, then saves) must be able to: reading the places must not change how the request's
    connection runs its later statements."""
    others = town(make)
    assert own_hits() == others
    item = db.session.get(Listing, others[0])
    item.cost = "insurance"
    db.session.commit()
    assert own_hits(cost="insurance") == [others[0]]
