"""Stored result cards (SearchCard) say what the listing's own tables say, through every kind of write.

The reference is the ORM's Listing, read afresh: every attribute a result shows
(result_cards._COLUMNS, the codes, the organization and the places, in order)
must be equal on the card search reads.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import delete, func, select, update

from directory import result_cards, search_index
from directory.extensions import db
from directory.models import Listing, Location, Organization, SearchCard
from directory.models.search_entry import SearchIndexChange
from directory.search import load_listings

LOCATION_FIELDS = ("id", "name", "address_1", "city", "state", "postal_code", "latitude", "longitude")


def as_shown(item) -> dict:
    """What a result shows of a Listing or a ResultCard, as plain values."""
    shown = {name: getattr(item, name) for name in result_cards._COLUMNS}
    shown.update({attribute: list(getattr(item, attribute)) for attribute in result_cards._CODE_ATTRIBUTES.values()})
    shown["organization"] = (item.organization.id, item.organization.name)
    shown["locations"] = [tuple(getattr(loc, field) for field in LOCATION_FIELDS) for loc in item.locations]
    shown["telehealth_states"] = list(item.telehealth_states)
    shown["is_remote_only"] = item.is_remote_only
    return shown


def stored(listing_id: int):
    db.session.expire_all()
    return load_listings([listing_id]).get(listing_id)


def assert_card_matches(listing_id: int) -> None:
    card = stored(listing_id)
    listing = db.session.get(Listing, listing_id)
    assert card is not None
    assert as_shown(card) == as_shown(listing)


def test_a_card_holds_everything_a_result_shows(make):
    listing = make.listing(
        name='Pine <circle> & "friends" — café', kind="counseling", session_format="one_on_one",
        moderation=None, membership=None, license_type="lcsw", license_state="IL", accepting_clients=False,
        cost="insurance", privacy_policy_url="https://example.org/privacy", records_sessions=True,
        anonymity_allowed=False, medical_advice_policy="No medical advice.", last_verified=date(2026, 9, 30),
        is_demo=True, delivery=["online", "in_person"], languages=["es", "en"], service_area=["WI", "IL", "US"],
        audience=["caregivers", "patients"], locations=[(41.88, -87.63), (42.0, -87.7)])
    assert_card_matches(listing.id)
    card = stored(listing.id)
    assert card.languages == ["en", "es"]  # ordered by code, as Listing.codes is
    assert card.last_verified == date(2026, 9, 30) and card.accepting_clients is False
    assert [loc.latitude for loc in card.locations] == [41.88, 42.0]  # in the order they were added


def test_cards_of_remote_and_placeless_listings(make):
    remote = make.listing(delivery=["online"], service_area=["US"], last_verified=None)
    nowhere = make.listing(delivery=["online"])  # neither a place nor an area: no search entry, still published
    for item in (remote, nowhere):
        assert_card_matches(item.id)


def test_every_write_rewrites_the_card(make):
    listing = make.listing(zip="60614", delivery=["in_person"])
    listing.name = "Renamed circle"
    listing.set_codes("cancer_type", ["breast", "lung"])
    db.session.commit()
    assert_card_matches(listing.id)

    location = listing.locations[0]
    location.latitude, location.city = 41.95, "Evanston"  # a moved place moves every listing offered there
    db.session.commit()
    assert_card_matches(listing.id)
    assert stored(listing.id).locations[0].city == "Evanston"

    db.session.get(Organization, listing.organization_id).name = "Renamed organization"  # results show its name
    db.session.commit()
    assert stored(listing.id).organization.name == "Renamed organization"


def test_only_an_organizations_name_rewrites_its_listings_cards(make):
    listing = make.listing(zip="60614")
    logged = db.session.scalar(select(func.count()).select_from(SearchIndexChange))
    state = search_index.current_state(db.session.connection())
    organization = db.session.get(Organization, listing.organization_id)
    organization.website = "https://example.org/new"  # results do not show it: no card to rewrite
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(SearchIndexChange)) == logged
    assert search_index.current_state(db.session.connection())[0] != state[0]  # cached answers still move on
    organization.name = "Another name"
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(SearchIndexChange)) == logged + 1
    assert stored(listing.id).organization.name == "Another name"


def test_a_listing_out_of_search_has_no_card(make):
    listing = make.listing(zip="60614")
    listing.status = "rejected"
    db.session.commit()
    assert stored(listing.id) is None
    assert db.session.scalar(select(SearchCard).where(SearchCard.listing_id == listing.id)) is None
    listing.status = "approved"
    db.session.commit()
    assert_card_matches(listing.id)


def test_a_card_read_within_a_transaction_sees_its_own_writes(make):
    listing = make.listing(zip="60614", name="Before")
    listing.name = "After"
    db.session.flush()  # not committed: the same transaction's search must still show "After"
    assert stored(listing.id).name == "After"
    db.session.rollback()
    assert stored(listing.id).name == "Before"


def test_rebuild_writes_the_cards_refresh_writes(make):
    ids = [make.listing(zip="60614", commit=False).id, make.listing(service_area=["IL"], commit=False).id,
           make.listing(commit=False).id]
    db.session.commit()
    bodies = dict(db.session.execute(select(SearchCard.listing_id, SearchCard.body)).all())
    assert sorted(bodies) == sorted(ids)
    connection = db.session.connection()
    connection.execute(delete(SearchCard))
    search_index.rebuild(connection)
    db.session.commit()
    assert dict(db.session.execute(select(SearchCard.listing_id, SearchCard.body)).all()) == bodies


def test_a_write_behind_the_orms_back_shows_after_refresh(make):
    listing = make.listing(zip="60614", name="Old name")
    connection = db.session.connection()
    connection.execute(update(Listing).where(Listing.id == listing.id).values(name="New name"))
    connection.execute(update(Location).where(Location.id == listing.locations[0].id).values(city="Oak Park"))
    search_index.refresh(connection, [listing.id])
    db.session.commit()
    card = stored(listing.id)
    assert (card.name, card.locations[0].city) == ("New name", "Oak Park")


def test_results_show_the_stored_card(client, make):
    name = 'Stored circle — café <b>"bold"</b> 💬'
    listing = make.listing(zip="60614", name=name)
    response = client.get("/api/v1/search", query_string={"zip": "60614"})
    assert response.mimetype == "application/json"
    result = response.json["results"][0]
    assert (result["id"], result["name"], result["organization"]["id"]) == (listing.id, name, listing.organization_id)
    assert result["location"]["latitude"] == listing.locations[0].latitude
    assert list(result) == sorted(result)  # keys sorted, as every other JSON answer of the app
    page = client.get("/search", query_string={"zip": "60614"}).get_data(as_text=True)
    assert "Stored circle — café &lt;b&gt;&#34;bold&#34;&lt;/b&gt; 💬" in page
