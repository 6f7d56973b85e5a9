"""Freshness (confirm in one click; flagged at 180 days, out of search at 365) and public problem reports."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from directory.extensions import db
from directory.models import AuditEvent, Listing, ListingReport

TODAY = date.today()
STALE_FLAG = "Not checked in over six months."


def days_ago(n: int) -> date:
    return TODAY - timedelta(days=n)


def found(client, listing: Listing) -> dict[str, bool]:
    """Where the public can find the listing."""
    name = listing.name
    return {
        "search": name in client.get("/search", query_string={"q": name.split()[0]}).get_data(as_text=True),
        "api": any(r["id"] == listing.id for r in client.get("/api/v1/search", query_string={"q": name.split()[0]}).json["results"]),
        "page": client.get(f"/listings/{listing.id}").status_code == 200,
        "api_listing": client.get(f"/api/v1/listings/{listing.id}").status_code == 200,
    }


def found_near(client, listing: Listing) -> bool:
    return any(r["id"] == listing.id for r in client.get("/api/v1/search", query_string={"zip": "60614"}).json["results"])


@pytest.fixture
def coordinator(make, auth):
    user = make.user("coordinator")
    auth.login(user.email)
    return user


def confirm(client, auth, listing_id: int):
    return client.post(f"/coordinator/listings/{listing_id}/confirm", data={"csrf_token": auth.csrf_token("/coordinator/")})


# -- confirming ----------------------------------------------------------------------------------------

def test_confirming_in_one_click_marks_the_listing_checked_today(client, auth, coordinator, make):
    listing = make.listing(organization=coordinator.organization, name="Maple circle", last_verified=days_ago(200))
    assert confirm(client, auth, listing.id).status_code == 302
    db.session.refresh(listing)
    assert listing.last_verified == TODAY
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "listing_confirmed"))
    assert (event.actor_id, event.object_type, event.object_id) == (coordinator.id, "listing", listing.id)


def test_confirming_is_a_post_with_a_csrf_token(client, auth, coordinator, make):
    listing = make.listing(organization=coordinator.organization, last_verified=days_ago(200))
    assert client.get(f"/coordinator/listings/{listing.id}/confirm").status_code == 405
    assert client.post(f"/coordinator/listings/{listing.id}/confirm").status_code == 400
    db.session.refresh(listing)
    assert listing.last_verified == days_ago(200)


def test_only_a_published_listing_can_be_confirmed(client, auth, coordinator, make):
    draft = make.listing(organization=coordinator.organization, status="draft", last_verified=None)
    confirm(client, auth, draft.id)
    db.session.refresh(draft)
    assert draft.last_verified is None
    assert "Only a published listing can be confirmed." in client.get("/coordinator/").get_data(as_text=True)


# -- 180 days: flagged -----------------------------------------------------------------------------------

def test_after_180_days_the_listing_is_flagged_and_asks_its_coordinator(client, auth, coordinator, make):
    stale = make.listing(organization=coordinator.organization, name="Willow circle", last_verified=days_ago(181))
    fresh = make.listing(organization=coordinator.organization, name="Aspen circle", last_verified=days_ago(180))
    assert STALE_FLAG in client.get(f"/listings/{stale.id}").get_data(as_text=True)
    assert STALE_FLAG not in client.get(f"/listings/{fresh.id}").get_data(as_text=True)
    dashboard = client.get("/coordinator/").get_data(as_text=True)
    confirm_section = dashboard.split('id="stale-heading"')[1].split("</section>")[0]
    assert "Willow circle" in confirm_section and "Aspen circle" not in confirm_section
    confirm(client, auth, stale.id)
    assert "stale-heading" not in client.get("/coordinator/").get_data(as_text=True)
    assert STALE_FLAG not in client.get(f"/listings/{stale.id}").get_data(as_text=True)


def test_a_never_verified_listing_counts_from_its_creation(client, make):
    old = make.listing(name="Birch circle", last_verified=None, created_at=datetime.utcnow() - timedelta(days=200))
    new = make.listing(name="Cedar circle", last_verified=None, created_at=datetime.utcnow() - timedelta(days=20))
    assert STALE_FLAG in client.get(f"/listings/{old.id}").get_data(as_text=True)
    assert STALE_FLAG not in client.get(f"/listings/{new.id}").get_data(as_text=True)


# -- 365 days: out of search until confirmed -------------------------------------------------------------------

def test_after_365_days_the_listing_leaves_search_until_confirmed(client, auth, coordinator, make):
    listing = make.listing(organization=coordinator.organization, name="Spruce circle", last_verified=days_ago(366))
    edge = make.listing(name="Hemlock circle", last_verified=days_ago(365))
    assert not any(found(client, listing).values())
    assert all(found(client, edge).values())
    assert "Spruce circle" in client.get("/coordinator/").get_data(as_text=True)  # the coordinator still sees it
    confirm(client, auth, listing.id)
    assert all(found(client, listing).values())


@pytest.mark.parametrize("created_days, visible", [(366, False), (365, True), (10, True)])
def test_a_never_verified_listing_leaves_search_a_year_after_it_was_created(client, make, created_days, visible):
    """Seeded and imported listings; one approved by a moderator counts as verified that day."""
    listing = make.listing(name="Poplar circle", zip="60614", last_verified=None,
                           created_at=datetime.utcnow() - timedelta(days=created_days))
    assert found(client, listing) == dict.fromkeys(("search", "api", "page", "api_listing"), visible)
    assert found_near(client, listing) is visible


def test_an_expired_listing_leaves_searches_near_a_zip_too(client, auth, coordinator, make):
    remote = make.listing(organization=coordinator.organization, name="Fir circle", service_area=["IL"],
                          last_verified=days_ago(366))
    near = make.listing(organization=coordinator.organization, name="Larch circle", zip="60614",
                        last_verified=days_ago(366))
    edge = make.listing(name="Elm circle", zip="60614", last_verified=days_ago(365))
    assert not found_near(client, remote) and not found_near(client, near) and found_near(client, edge)
    assert client.get("/api/v1/search", query_string={"zip": "60614"}).json["total"] == 1
    confirm(client, auth, near.id)
    confirm(client, auth, remote.id)
    assert found_near(client, remote) and found_near(client, near)


# -- report a problem -------------------------------------------------------------------------------------------

def report(client, listing_id: int, problem: str = "phone", comment: str = "The number rings out.", token: bool = True):
    data = {"problem": problem, "comment": comment}
    if token:
        page = client.get(f"/listings/{listing_id}").get_data(as_text=True)
        data["csrf_token"] = page.split('name="csrf_token" value="')[1].split('"')[0]
    return client.post(f"/listings/{listing_id}/report", data=data)


def test_every_public_listing_offers_the_report_form(client, make):
    page = client.get(f"/listings/{make.listing().id}").get_data(as_text=True)
    assert "Report a problem with this listing" in page
    for code in ("phone", "address", "schedule", "closed", "other"):
        assert f'value="{code}"' in page
    assert 'name="comment"' in page and 'name="csrf_token"' in page


def test_a_report_reaches_the_moderators_and_the_coordinator(client, auth, make):
    coordinator = make.user("coordinator")
    listing = make.listing(organization=coordinator.organization, name="Oak circle")
    response = report(client, listing.id, "schedule", "They moved to Thursdays.")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/listings/{listing.id}")
    row = db.session.scalar(select(ListingReport))
    assert (row.listing_id, row.problem, row.comment, row.status) == (listing.id, "schedule", "They moved to Thursdays.", "open")
    columns = {column.key for column in ListingReport.__table__.columns}
    assert not {"ip", "ip_address", "remote_addr", "user_agent", "email", "reporter_id"} & columns
    received = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "report_received"))
    assert received.actor_id is None and received.object_id == row.id

    auth.login(coordinator.email)
    assert "They moved to Thursdays." in client.get("/coordinator/").get_data(as_text=True)
    auth.logout()
    moderator = make.user("moderator")
    auth.login(moderator.email)
    queue = client.get("/moderation/").get_data(as_text=True)
    assert "They moved to Thursdays." in queue and f'href="/listings/{listing.id}">Oak circle</a>' in queue
    client.post(f"/moderation/reports/{row.id}/resolve", data={"csrf_token": auth.csrf_token("/moderation/")})
    assert "They moved to Thursdays." not in client.get("/moderation/").get_data(as_text=True)
    db.session.refresh(row)
    assert row.status == "resolved" and row.resolved_by_id == moderator.id


def test_reports_are_rate_limited(client, make):
    listing = make.listing()
    for _ in range(5):
        assert report(client, listing.id).status_code == 302
    assert report(client, listing.id).status_code == 429
    assert db.session.scalar(select(func.count()).select_from(ListingReport)) == 5


@pytest.mark.parametrize("problem, comment, token", [
    ("phone", "ok", False),  # no CSRF token
    ("stolen_identity", "", True),  # unknown problem
    ("", "no problem chosen", True),
    ("other", "x" * 501, True),  # comment too long
    ("other", "nul\x00", True),
])
def test_a_bad_report_is_refused_and_nothing_is_stored(client, make, problem, comment, token):
    listing = make.listing()
    response = report(client, listing.id, problem, comment, token)
    assert response.status_code == 400
    assert len(response.get_data(as_text=True)) < 100_000
    assert db.session.scalar(select(func.count()).select_from(ListingReport)) == 0


def test_only_published_listings_take_reports(client, make):
    hidden = make.listing(status="pending")
    page = client.get(f"/listings/{make.listing().id}").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post(f"/listings/{hidden.id}/report", data={"problem": "phone", "csrf_token": token}).status_code == 404
    assert client.get(f"/listings/{2**40}/report").status_code == 404


def test_markup_in_a_report_comes_back_escaped(client, auth, make):
    coordinator = make.user("coordinator")
    listing = make.listing(organization=coordinator.organization)
    markup = '<script>alert("r")</script>'
    report(client, listing.id, "other", markup)
    auth.login(coordinator.email)
    for path in ("/coordinator/",):
        html = client.get(path).get_data(as_text=True)
        assert markup not in html and str(escape(markup)) in html
    auth.logout()
    auth.login(make.user("moderator").email)
    html = client.get("/moderation/").get_data(as_text=True)
    assert markup not in html and str(escape(markup)) in html
