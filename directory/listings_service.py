"""Listings through their life: drafts, submissions, review, archiving, confirming. Plain functions.

A listing that has never been published is edited in place (its status says
draft, pending or rejected); submitting it also files a pending
ListingRevision, the thing a moderator reviews. An edit to a published
listing lives only in a revision until a moderator approves it, so the
published version stays public meanwhile. Every transition writes an audit
row; each function commits, or raises before writing anything.
"""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from .audit import record
from .extensions import db
from .freshness import stale_clause
from .geo import GeoError, lookup_zip, place_address
from .listing_data import apply_values, tidy, values_of
from .models import Listing, ListingReport, ListingRevision, User, utcnow

MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL: a larger one is simply not found
REASON_MAX = 1000


class ListingProblems(ValueError):
    """What keeps a listing from being saved: {field name: message for people}."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


class ReviewError(ValueError):
    """A review action that cannot happen (already reviewed, missing reason); the message is for people."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotYourReview(PermissionError):
    """A moderator may not review their own submission."""


# -- reading ----------------------------------------------------------------------------------------

def find(model, object_id: int):
    """The row with this id, or None (also for ids no database column could hold)."""
    if not 0 < object_id <= MAX_ID:
        return None
    return db.session.get(model, object_id)


def owned_listing(listing_id: int, user: User) -> Listing | None:
    """The listing if it belongs to the user's organization, else None (the view answers 404)."""
    listing = find(Listing, listing_id)
    if listing is None or user.organization_id is None or listing.organization_id != user.organization_id:
        return None
    return listing


def organization_listings(organization_id: int | None) -> list[Listing]:
    if organization_id is None:
        return []
    return list(db.session.scalars(select(Listing).where(Listing.organization_id == organization_id)
                                   .order_by(Listing.name, Listing.id)))


def latest_revisions(listing_ids: list[int]) -> dict[int, ListingRevision]:
    """The most recent revision of each listing that has one."""
    latest: dict[int, ListingRevision] = {}
    if listing_ids:
        for revision in db.session.scalars(select(ListingRevision).where(ListingRevision.listing_id.in_(listing_ids))
                                           .order_by(ListingRevision.id)):
            latest[revision.listing_id] = revision
    return latest


def latest_revision(listing: Listing) -> ListingRevision | None:
    return latest_revisions([listing.id]).get(listing.id)


def open_revision(listing: Listing) -> ListingRevision | None:
    """The draft or pending revision of a listing, if there is one (at most one is ever open)."""
    return db.session.scalar(select(ListingRevision).where(ListingRevision.listing_id == listing.id,
                                                           ListingRevision.status.in_(("draft", "pending")))
                             .order_by(ListingRevision.id.desc()).limit(1))


def editable_values(listing: Listing) -> dict:
    """What the edit form starts from: the coordinator's unfinished or rejected edit, else the listing."""
    revision = latest_revision(listing)
    if listing.status == "approved" and revision is not None and revision.status in ("draft", "pending", "rejected"):
        return tidy(revision.data)
    return values_of(listing)


def stale_listings(organization_id: int | None, today: date | None = None) -> list[Listing]:
    """The organization's published listings past the 180-day mark, oldest first."""
    if organization_id is None:
        return []
    stmt = (select(Listing).where(Listing.organization_id == organization_id, Listing.status == "approved",
                                  stale_clause(today))
            .order_by(Listing.last_verified.is_not(None), Listing.last_verified, Listing.id))
    return list(db.session.scalars(stmt))


def pending_revisions() -> list[ListingRevision]:
    return list(db.session.scalars(select(ListingRevision).where(ListingRevision.status == "pending")
                                   .order_by(ListingRevision.submitted_at, ListingRevision.id)))


# -- the rules of a submission ------------------------------------------------------------------------

def _required(values: dict, submit: bool) -> dict[str, str]:
    problems: dict[str, str] = {}
    need = lambda name, message: problems.setdefault(name, message) if not values.get(name) else None  # noqa: E731
    need("name", _("Give the name people will see."))
    need("kind", _("Choose whether this is a support program or counseling."))
    need("session_format", _("Choose one-on-one or group."))
    if not submit:
        return problems
    delivery = values["delivery"] or []
    need("delivery", _("Choose at least one way people take part."))
    need("description", _("Describe the program in a few sentences."))
    need("cost", _("Choose what it costs."))
    need("languages", _("Choose at least one language."))
    need("audience", _("Choose who it is for."))
    need("cancer_type", _("Choose the types of cancer, or “Any cancer”."))
    if not (values["phone"] or values["email"] or values["url"]):
        problems["phone"] = _("Give at least one way to reach you: a phone number, an email or a website.")
    if values["kind"] == "support_program":
        need("moderation", _("Choose who leads or moderates it."))
        if "online" in delivery:
            need("online_mode", _("Choose how the online part works."))
    if values["kind"] == "counseling":
        need("license_type", _("Choose the license type."))
        need("license_number", _("Give the license number."))
        need("license_state", _("Choose the state that issued the license."))
    if "in_person" in delivery:
        for name, message in (("address_1", _("Give the street address where it meets.")),
                              ("city", _("Give the city.")), ("state", _("Choose the state.")),
                              ("postal_code", _("Give the ZIP code."))):
            need(name, message)
    elif values["kind"] == "counseling":
        need("telehealth_states", _("Choose the states where you can see clients by telehealth."))
    elif not (values["service_area"] or values["nationwide"]):
        problems["service_area"] = _("Choose the states people can join from, or check “anywhere in the US”.")
    if values["freq"]:
        need("byday", _("Choose the day it meets."))
    return problems


def _consistent(values: dict) -> dict[str, str]:
    problems: dict[str, str] = {}
    if values["freq"] == "monthly" and values["byday"] and not values["week_of_month"]:
        problems["week_of_month"] = _("Choose which week of the month it meets.")
    if values["freq"] and (values["week_of_month"] and len(values["byday"]) > 1):
        problems["byday"] = _("A monthly meeting is on one day: choose one.")
    if values["opens_at"] and values["closes_at"] and values["closes_at"] <= values["opens_at"]:
        problems["closes_at"] = _("The end time must be after the start time.")
    if values["closes_at"] and not values["opens_at"]:
        problems["opens_at"] = _("Give the start time too.")
    if values["kind"] == "counseling" and values["license_state"] and values["telehealth_states"] \
            and values["license_state"] not in values["telehealth_states"]:
        problems["telehealth_states"] = _("Include the state of your license, %(state)s.", state=values["license_state"])
    return problems


def _placed(values: dict, geocode) -> tuple[dict, dict[str, str]]:
    """The values with the address's coordinates, or the problem with its ZIP code."""
    if not values["postal_code"]:
        return values, {}
    try:
        centroid = lookup_zip(values["postal_code"])
    except GeoError as error:
        return values, {"postal_code": str(error)}
    if values["state"] and values["state"] != centroid.state:
        return values, {"postal_code": _("The ZIP code %(zip)s is in %(state)s, not %(chosen)s.", zip=centroid.zip,
                                         state=centroid.state, chosen=values["state"])}
    lat, lon = place_address(values["address_1"] or "", values["city"] or "", values["state"] or centroid.state,
                             centroid.zip, geocode)
    return {**values, "postal_code": centroid.zip, "state": values["state"] or centroid.state,
            "latitude": lat, "longitude": lon}, {}


def checked_values(values: dict, *, submit: bool, geocode=None) -> dict:
    """The values ready to store, with coordinates; raises ListingProblems naming each field at fault."""
    problems = {}
    if (values.get("address_1") or values.get("city")) and not values.get("postal_code"):
        problems["postal_code"] = _("Give the ZIP code too, so the address can be found on a map.")
    values = tidy(values)
    problems.update({**_consistent(values), **_required(values, submit)})
    values, place_problems = _placed(values, geocode)
    problems.update(place_problems)
    if problems:
        raise ListingProblems(problems)
    return values


# -- a coordinator's actions ---------------------------------------------------------------------------

def save_listing(author: User, values: dict, *, listing: Listing | None = None, submit: bool,
                 geocode=None) -> Listing:
    """Save a draft (submit=False) or send for review (submit=True); a new listing when `listing` is None."""
    if author.organization_id is None:
        raise ListingProblems({"name": _("Your account does not belong to an organization.")})
    values = checked_values(values, submit=submit, geocode=geocode)
    if listing is None:
        listing = Listing(organization_id=author.organization_id, status="draft")
        db.session.add(listing)
    if listing.status == "approved":
        _save_edit(author, listing, values, submit)
    else:
        _save_unpublished(author, listing, values, submit)
    db.session.commit()
    return listing


def _save_unpublished(author: User, listing: Listing, values: dict, submit: bool) -> None:
    apply_values(listing, values)
    listing.status = "pending" if submit else "draft"
    db.session.flush()
    revision = open_revision(listing)
    if submit:
        if revision is None:
            revision = ListingRevision(listing_id=listing.id, is_new_listing=True)
            db.session.add(revision)
        revision.data, revision.status = values, "pending"
        revision.submitted_by_id, revision.submitted_at = author.id, utcnow()
    elif revision is not None:
        revision.status = "withdrawn"
    record(author, "listing_submitted" if submit else "listing_draft_saved", "listing", listing.id)


def _save_edit(author: User, listing: Listing, values: dict, submit: bool) -> None:
    revision = open_revision(listing)
    if revision is None:
        revision = ListingRevision(listing_id=listing.id, is_new_listing=False)
        db.session.add(revision)
    revision.data = values
    revision.status = "pending" if submit else "draft"
    if submit:
        revision.submitted_by_id, revision.submitted_at = author.id, utcnow()
    record(author, "edit_submitted" if submit else "edit_draft_saved", "listing", listing.id)


def archive_listing(author: User, listing: Listing) -> None:
    """Take a listing out of the directory; its unreviewed changes are withdrawn."""
    listing.status = "archived"
    revision = open_revision(listing)
    if revision is not None:
        revision.status = "withdrawn"
    record(author, "listing_archived", "listing", listing.id)
    db.session.commit()


def confirm_current(author: User, listing: Listing, today: date | None = None) -> None:
    """The coordinator says the published listing is still accurate: it counts as verified today."""
    if listing.status != "approved":
        raise ReviewError(_("Only a published listing can be confirmed."))
    listing.last_verified = today or date.today()
    record(author, "listing_confirmed", "listing", listing.id)
    db.session.commit()


# -- a moderator's actions -------------------------------------------------------------------------------

def _reviewable(moderator: User, revision: ListingRevision) -> None:
    if revision.status != "pending":
        raise ReviewError(_("This submission is no longer waiting for review."))
    if revision.submitted_by_id == moderator.id:
        raise NotYourReview()


def approve(moderator: User, revision: ListingRevision, today: date | None = None) -> None:
    """Publish the revision: a new listing goes public, an edit replaces the published version."""
    _reviewable(moderator, revision)
    listing = revision.listing
    apply_values(listing, revision.data)
    listing.status = "approved"
    listing.last_verified = today or date.today()  # the coordinator vouched for every detail just now
    revision.status, revision.reviewed_by_id, revision.reviewed_at = "approved", moderator.id, utcnow()
    record(moderator, "listing_approved" if revision.is_new_listing else "edit_approved", "listing", listing.id)
    db.session.commit()


def reject(moderator: User, revision: ListingRevision, reason: str) -> None:
    """Send the revision back with the moderator's reason; a published listing stays as it was."""
    reason = (reason or "").strip()
    if not reason:
        raise ReviewError(_("Give the coordinator a reason, so they know what to change."), "reason")
    if len(reason) > REASON_MAX:
        raise ReviewError(_("Keep the reason under %(n)s characters.", n=REASON_MAX), "reason")
    _reviewable(moderator, revision)
    listing = revision.listing
    if listing.status == "pending":
        listing.status = "rejected"
    revision.status, revision.reason = "rejected", reason
    revision.reviewed_by_id, revision.reviewed_at = moderator.id, utcnow()
    record(moderator, "listing_rejected" if revision.is_new_listing else "edit_rejected", "listing", listing.id)
    db.session.commit()


def open_reports(organization_id: int | None = None) -> list[ListingReport]:
    """Reports not yet resolved, newest first; only one organization's when given."""
    stmt = select(ListingReport).where(ListingReport.status == "open").order_by(ListingReport.created_at.desc(),
                                                                                ListingReport.id.desc())
    if organization_id is not None:
        stmt = stmt.join(Listing, Listing.id == ListingReport.listing_id).where(
            Listing.organization_id == organization_id)
    return list(db.session.scalars(stmt))
