"""Moderators: the review queue (accounts waiting for approval first)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from ..accounts import service
from .. import listings_service
from ..accounts.permissions import role_required
from ..extensions import db
from ..listing_data import changes, values_of
from ..models import ListingReport, ListingRevision, User
from ..referrals.service import flagged_listings
from ..reports.service import resolve_report
from .forms import RejectForm

bp = Blueprint("moderation", __name__, url_prefix="/moderation")


def pending_accounts() -> list[User]:
    stmt = select(User).where(User.is_approved.is_(False), User.is_deactivated.is_(False)).order_by(User.created_at)
    return list(db.session.scalars(stmt))


@bp.get("/")
@role_required("moderator", "admin")
def queue():
    return render_template("moderation/queue.html", accounts=pending_accounts(), form=FlaskForm(),
                           revisions=listings_service.pending_revisions(), reports=listings_service.open_reports(),
                           flags=flagged_listings())


@bp.post("/accounts/<int:user_id>/approve")
@role_required("moderator", "admin")
def approve_account(user_id: int):
    if not FlaskForm().validate_on_submit():
        abort(400)
    user = db.get_or_404(User, user_id)
    if user.id == current_user.id:
        abort(403)
    service.set_approval(current_user._get_current_object(), user, True)
    flash(_("Account approved."))
    return redirect(url_for("moderation.queue"))


# -- listings ------------------------------------------------------------------------------

def _revision_or_404(revision_id: int) -> ListingRevision:
    """The revision with this id; 404 when there is none."""
    revision = listings_service.find(ListingRevision, revision_id)
    if revision is None:
        abort(404)
    return revision


def _review_page(revision: ListingRevision, form: RejectForm, status: int = 200):
    listing = revision.listing
    published = values_of(listing) if listing.status == "approved" and not revision.is_new_listing else None
    return render_template("moderation/review.html", revision=revision, listing=listing, form=form,
                           changes=changes(published, revision.data), is_edit=published is not None,
                           own=revision.submitted_by_id == current_user.id), status


@bp.get("/revisions/<int:revision_id>")
@role_required("moderator", "admin")
def review(revision_id: int):
    return _review_page(_revision_or_404(revision_id), RejectForm(formdata=None))


@bp.post("/revisions/<int:revision_id>/approve")
@role_required("moderator", "admin")
def approve(revision_id: int):
    revision = _revision_or_404(revision_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        listings_service.approve(current_user._get_current_object(), revision)
    except listings_service.NotYourReview:
        abort(403)
    except listings_service.ReviewError as error:
        flash(error.message)
        return redirect(url_for("moderation.queue"))
    flash(_("Approved and published."))
    return redirect(url_for("moderation.queue"))


@bp.post("/revisions/<int:revision_id>/reject")
@role_required("moderator", "admin")
def reject(revision_id: int):
    revision = _revision_or_404(revision_id)
    form = RejectForm()
    if form.validate_on_submit():
        try:
            listings_service.reject(current_user._get_current_object(), revision, form.reason.data)
        except listings_service.NotYourReview:
            abort(403)
        except listings_service.ReviewError as error:
            form.reason.errors = [*form.reason.errors, error.message]
        else:
            flash(_("Sent back to the coordinator with your reason."))
            return redirect(url_for("moderation.queue"))
    return _review_page(revision, form, 400)


@bp.post("/reports/<int:report_id>/resolve")
@role_required("moderator", "admin")
def resolve(report_id: int):
    report = listings_service.find(ListingReport, report_id)
    if report is None:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    resolve_report(current_user._get_current_object(), report)
    flash(_("Report marked as dealt with."))
    return redirect(url_for("moderation.queue"))
