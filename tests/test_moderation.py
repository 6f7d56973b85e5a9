"""Moderation: the queue, the field-by-field review, approve and reject, the audit trail."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from directory.extensions import db
from directory.models import AuditEvent, Listing, ListingRevision
from tests.listing_forms import support_group

NEW = "/coordinator/listings/new"


class Team:
    """A coordinator and a moderator taking turns in one browser session."""

    def __init__(self, client, auth, make):
        self.client, self.auth = client, auth
        self.coordinator = make.user("coordinator")
        self.moderator = make.user("moderator")

    def sign_in(self, user):
        if self.client.get_cookie("session") is not None and "Sign out" in self.client.get("/").get_data(as_text=True):
            self.auth.logout()
        self.auth.login(user.email)

    def as_coordinator(self):
        self.sign_in(self.coordinator)

    def as_moderator(self):
        self.sign_in(self.moderator)

    def submit(self, values: dict, listing_id: int | None = None, action: str = "submit"):
        path = f"/coordinator/listings/{listing_id}/edit" if listing_id else NEW
        return self.client.post(path, data={**values, "csrf_token": self.auth.csrf_token(path), "action": action})

    def approve(self, revision_id: int):
        return self.client.post(f"/moderation/revisions/{revision_id}/approve",
                                data={"csrf_token": self.auth.csrf_token("/moderation/")})

    def reject(self, revision_id: int, reason: str):
        return self.client.post(f"/moderation/revisions/{revision_id}/reject",
                                data={"csrf_token": self.auth.csrf_token("/moderation/"), "reason": reason})


@pytest.fixture
def team(client, auth, make):
    return Team(client, auth, make)


def latest_revision() -> ListingRevision:
    return db.session.scalar(select(ListingRevision).order_by(ListingRevision.id.desc()).limit(1))


def only_listing() -> Listing:
    return db.session.scalar(select(Listing))


def public_everywhere(client, listing: Listing, name: str) -> dict[str, bool]:
    """Where the public can find the listing: search with and without a ZIP, the API, its page."""
    word = name.split()[0]
    return {
        "search": name in client.get("/search", query_string={"q": word}).get_data(as_text=True),
        "search_zip": name in client.get("/search", query_string={"zip": "60614"}).get_data(as_text=True),
        "api": any(r["name"] == name for r in client.get("/api/v1/search", query_string={"q": word}).json["results"]),
        "api_zip": any(r["name"] == name for r in client.get("/api/v1/search", query_string={"zip": "60614"}).json["results"]),
        "page": client.get(f"/listings/{listing.id}").status_code == 200,
        "api_listing": client.get(f"/api/v1/listings/{listing.id}").status_code == 200,
    }


def test_the_queue_shows_pending_listings_and_pending_edits(client, team, make):
    team.as_coordinator()
    team.submit(support_group(name="Brand new circle"))
    published = make.listing(organization=team.coordinator.organization, name="Old circle", zip="60614")
    team.submit(support_group(name="Old circle, renamed"), listing_id=published.id)
    team.as_moderator()
    page = client.get("/moderation/").get_data(as_text=True)
    assert "Brand new circle" in page and "Old circle, renamed" in page
    assert "New listing" in page and "Changes to a published listing" in page


def test_pending_and_rejected_listings_never_reach_the_public(client, team):
    team.as_coordinator()
    team.submit(support_group(name="Quiet circle"))
    listing = only_listing()
    assert not any(public_everywhere(client, listing, "Quiet circle").values())
    team.as_moderator()
    assert team.reject(latest_revision().id, "Please add the meeting room.").status_code == 302
    db.session.refresh(listing)
    assert listing.status == "rejected"
    assert not any(public_everywhere(client, listing, "Quiet circle").values())
    team.auth.logout()
    assert not any(public_everywhere(client, listing, "Quiet circle").values())


def test_approving_publishes_a_new_listing(client, team):
    team.as_coordinator()
    team.submit(support_group(name="Sunrise circle"))
    listing = only_listing()
    team.as_moderator()
    review = client.get(f"/moderation/revisions/{latest_revision().id}").get_data(as_text=True)
    assert "Sunrise circle" in review and "A new listing" in review
    assert team.approve(latest_revision().id).status_code == 302
    db.session.refresh(listing)
    assert listing.status == "approved" and listing.last_verified == date.today()
    assert latest_revision().status == "approved" and latest_revision().reviewed_by_id == team.moderator.id
    team.auth.logout()
    assert all(public_everywhere(client, listing, "Sunrise circle").values())


def test_an_edit_waits_for_review_while_the_published_version_stays(client, team, make):
    published = make.listing(organization=team.coordinator.organization, name="Lakeside circle", zip="60614",
                             phones=[{"number": "312-555-0100"}])
    team.as_coordinator()
    edit_page = client.get(f"/coordinator/listings/{published.id}/edit").get_data(as_text=True)
    assert 'value="Lakeside circle"' in edit_page and 'value="312-555-0100"' in edit_page
    response = team.submit(support_group(name="Lakeshore circle", phone="312-555-0177"), listing_id=published.id)
    assert response.status_code == 302
    db.session.refresh(published)
    assert published.name == "Lakeside circle" and published.status == "approved"
    assert published.phones[0].number == "312-555-0100"
    assert all(public_everywhere(client, published, "Lakeside circle").values())
    assert "Changes waiting for review" in client.get("/coordinator/").get_data(as_text=True)
    # The edit form now starts from the changes waiting for review.
    assert 'value="Lakeshore circle"' in client.get(f"/coordinator/listings/{published.id}/edit").get_data(as_text=True)

    team.as_moderator()
    review = client.get(f"/moderation/revisions/{latest_revision().id}").get_data(as_text=True)
    assert "Changes to a published listing" in review
    assert "<del>Lakeside circle</del>" in review and "<ins>Lakeshore circle</ins>" in review
    assert "<del>312-555-0100</del>" in review and "<ins>312-555-0177</ins>" in review
    team.approve(latest_revision().id)
    db.session.refresh(published)
    assert published.name == "Lakeshore circle" and published.phones[0].number == "312-555-0177"
    assert all(public_everywhere(client, published, "Lakeshore circle").values())
    assert client.get("/search", query_string={"q": "Lakeside"}).get_data(as_text=True).count("Lakeside circle") == 0


def test_re_review_after_a_rejected_edit(client, team, make):
    published = make.listing(organization=team.coordinator.organization, name="Harbor circle", zip="60614")
    team.as_coordinator()
    team.submit(support_group(name="Harbor circle", description="Now online only"), listing_id=published.id)
    team.as_moderator()
    team.reject(latest_revision().id, "Online only? Then remove the address.")
    db.session.refresh(published)
    assert published.status == "approved" and published.description == "A listing made by a test."
    team.as_coordinator()
    dashboard = client.get("/coordinator/").get_data(as_text=True)
    assert "Online only? Then remove the address." in dashboard
    edit = client.get(f"/coordinator/listings/{published.id}/edit").get_data(as_text=True)
    assert "Online only? Then remove the address." in edit and "Now online only" in edit
    team.submit(support_group(name="Harbor circle", description="Now online only", delivery=["online"],
                              address_1="", city="", state="", postal_code="", service_area=["IL"]),
                listing_id=published.id)
    revision = latest_revision()
    assert revision.status == "pending" and revision.reason is None
    team.as_moderator()
    team.approve(revision.id)
    db.session.refresh(published)
    assert published.description == "Now online only" and published.is_remote_only
    assert published.service_area == ["IL"]


def test_reject_needs_a_reason_and_the_coordinator_sees_it(client, team):
    team.as_coordinator()
    team.submit(support_group(name="Evening circle"))
    revision_id = latest_revision().id
    team.as_moderator()
    for empty in ("", "   \n  "):
        response = team.reject(revision_id, empty)
        assert response.status_code == 400
        assert "Give the coordinator a reason" in response.get_data(as_text=True)
    assert team.reject(revision_id, "x" * 1001).status_code == 400
    assert latest_revision().status == "pending" and only_listing().status == "pending"
    assert team.reject(revision_id, "The phone number does not answer.").status_code == 302
    team.as_coordinator()
    dashboard = client.get("/coordinator/").get_data(as_text=True)
    assert "Changes needed" in dashboard and "The phone number does not answer." in dashboard
    # Fixed and sent again, it is a new submission for review.
    team.submit(support_group(name="Evening circle", phone="312-555-0123"), listing_id=only_listing().id)
    assert only_listing().status == "pending" and latest_revision().status == "pending"
    assert latest_revision().id != revision_id


def test_a_moderator_cannot_approve_their_own_submission(client, auth, make, team):
    lister = make.user("moderator", organization=team.coordinator.organization)
    auth.login(lister.email)
    team.submit(support_group(name="My own circle"))
    revision = latest_revision()
    assert revision.submitted_by_id == lister.id
    assert "another moderator must review it" in client.get(f"/moderation/revisions/{revision.id}").get_data(as_text=True)
    assert team.approve(revision.id).status_code == 403
    assert team.reject(revision.id, "Looks fine to me, but no.").status_code == 403
    assert latest_revision().status == "pending" and only_listing().status == "pending"
    team.as_moderator()
    assert team.approve(revision.id).status_code == 302
    assert only_listing().status == "approved"


def test_a_submission_is_reviewed_once(client, team):
    team.as_coordinator()
    team.submit(support_group())
    revision_id = latest_revision().id
    team.as_moderator()
    team.approve(revision_id)
    events = db.session.scalars(select(AuditEvent)).all()
    again = team.approve(revision_id)
    assert again.status_code == 302
    assert "no longer waiting" in client.get("/moderation/").get_data(as_text=True)
    assert team.reject(revision_id, "Too late.").status_code == 400
    assert len(db.session.scalars(select(AuditEvent)).all()) == len(events)


def test_withdrawn_drafts_are_not_reviewable(client, team):
    team.as_coordinator()
    team.submit(support_group())
    revision_id = latest_revision().id
    team.submit(support_group(name="Back to draft"), listing_id=only_listing().id, action="draft")
    assert only_listing().status == "draft" and db.session.get(ListingRevision, revision_id).status == "withdrawn"
    team.as_moderator()
    assert "Back to draft" not in client.get("/moderation/").get_data(as_text=True)
    team.approve(revision_id)
    assert only_listing().status == "draft"


@pytest.mark.parametrize("role", ["coordinator", "caseworker"])
def test_only_moderators_review(client, auth, make, team, role):
    team.as_coordinator()
    team.submit(support_group())
    revision_id = latest_revision().id
    auth.logout()
    auth.login(make.user(role).email)
    assert client.get("/moderation/").status_code == 403
    assert client.get(f"/moderation/revisions/{revision_id}").status_code == 403
    assert team.approve(revision_id).status_code == 403
    assert latest_revision().status == "pending"


def test_review_actions_need_a_csrf_token_and_a_real_revision(client, team):
    team.as_coordinator()
    team.submit(support_group())
    revision_id = latest_revision().id
    team.as_moderator()
    assert client.post(f"/moderation/revisions/{revision_id}/approve").status_code == 400
    assert client.post(f"/moderation/revisions/{revision_id}/reject", data={"reason": "No."}).status_code == 400
    assert latest_revision().status == "pending"
    for missing in (0, 99_999, 2**31, 10**25):
        assert client.get(f"/moderation/revisions/{missing}").status_code == 404
        assert team.approve(missing).status_code == 404


def test_every_transition_writes_an_audit_row(client, team, make):
    team.as_coordinator()
    team.submit(support_group(), action="draft")
    listing_id = only_listing().id
    team.submit(support_group(), listing_id=listing_id)
    team.as_moderator()
    team.approve(latest_revision().id)
    team.as_coordinator()
    team.submit(support_group(name="Renamed"), listing_id=listing_id)
    team.as_moderator()
    team.reject(latest_revision().id, "Keep the old name.")
    team.as_coordinator()
    client.post(f"/coordinator/listings/{listing_id}/confirm", data={"csrf_token": team.auth.csrf_token("/coordinator/")})
    client.post(f"/coordinator/listings/{listing_id}/archive", data={"csrf_token": team.auth.csrf_token("/coordinator/")})

    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "listing").order_by(AuditEvent.id)).all()
    c, m = team.coordinator.id, team.moderator.id
    assert [(row.action, row.actor_id, row.object_id) for row in rows] == [
        ("listing_draft_saved", c, listing_id), ("listing_submitted", c, listing_id),
        ("listing_approved", m, listing_id), ("edit_submitted", c, listing_id), ("edit_rejected", m, listing_id),
        ("listing_confirmed", c, listing_id), ("listing_archived", c, listing_id),
    ]
    now = datetime.utcnow()
    for row in rows:
        assert now - timedelta(minutes=5) <= row.created_at <= now + timedelta(seconds=5)  # UTC, naive
    personal = {team.coordinator.email, team.moderator.email, "Keep the old name.", "Renamed"}
    for row in db.session.scalars(select(AuditEvent)):
        assert not personal & {str(getattr(row, column.key)) for column in AuditEvent.__table__.columns}
