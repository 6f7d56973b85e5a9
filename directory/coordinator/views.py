"""Program coordinators: their organization's listings — submit, edit, archive, confirm."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from .. import listings_service as service
from ..accounts.permissions import role_required
from ..geo import geocoder_from_config
from ..models import Listing
from ..referrals.service import flagged_listings
from .forms import ListingForm

bp = Blueprint("coordinator", __name__, url_prefix="/coordinator")

# Anyone who lists programs for an organization: coordinators, and staff who also belong to one.
LISTERS = ("coordinator", "moderator", "admin")


def _owned_or_404(listing_id: int) -> Listing:
    """The signed-in user's organization's listing; 404 for any other, so ids reveal nothing."""
    listing = service.owned_listing(listing_id, current_user)
    if listing is None:
        abort(404)
    return listing


def _geocoder():
    """The configured street geocoder, made once per app (it keeps Nominatim's one-a-second pace)."""
    key = "directory.geocoder"
    if key not in current_app.extensions:
        current_app.extensions[key] = geocoder_from_config(current_app.config["GEOCODER"],
                                                           current_app.config["GEOCODER_USER_AGENT"])
    return current_app.extensions[key]


def _checked_post() -> None:
    """400 unless the POST carries a valid CSRF token (the buttons on the dashboard)."""
    if not FlaskForm().validate_on_submit():
        abort(400)


@bp.get("/")
@role_required(*LISTERS)
def dashboard():
    org_id = current_user.organization_id
    listings = service.organization_listings(org_id)
    return render_template("coordinator/dashboard.html", listings=listings,
                           revisions=service.latest_revisions([listing.id for listing in listings]),
                           stale=service.stale_listings(org_id), reports=service.open_reports(org_id) if org_id else [],
                           flags=flagged_listings([listing.id for listing in listings]), form=FlaskForm())


def _listing_form_page(form: ListingForm, listing: Listing | None, status: int = 200):
    revision = service.latest_revision(listing) if listing is not None else None
    return render_template("coordinator/listing_form.html", form=form, listing=listing, revision=revision), status


def _save(form: ListingForm, listing: Listing | None):
    """Validate and save the posted form; re-show it with each problem beside its field (400) if it fails."""
    submit = request.form.get("action") == "submit"
    if form.validate_on_submit():
        try:
            listing = service.save_listing(current_user._get_current_object(), form.values(), listing=listing,
                                           submit=submit, geocode=_geocoder())
        except service.ListingProblems as problems:
            for name, message in problems.problems.items():
                form[name].errors = [*form[name].errors, message]
        else:
            flash(_("Sent for review. A moderator will look at it soon.") if submit else _("Draft saved."))
            return redirect(url_for("coordinator.dashboard"))
    form.clip_long_values()
    return _listing_form_page(form, listing, 400)


@bp.route("/listings/new", methods=["GET", "POST"])
@role_required(*LISTERS)
def new_listing():
    if current_user.organization_id is None:
        abort(403)
    form = ListingForm()
    if request.method == "POST":
        return _save(form, None)
    return _listing_form_page(form, None)


@bp.route("/listings/<int:listing_id>/edit", methods=["GET", "POST"])
@role_required(*LISTERS)
def edit_listing(listing_id: int):
    listing = _owned_or_404(listing_id)
    if request.method == "POST":
        return _save(ListingForm(), listing)
    form = ListingForm(data=ListingForm.data_from_values(service.editable_values(listing)))
    return _listing_form_page(form, listing)


@bp.post("/listings/<int:listing_id>/archive")
@role_required(*LISTERS)
def archive_listing(listing_id: int):
    listing = _owned_or_404(listing_id)
    _checked_post()
    service.archive_listing(current_user._get_current_object(), listing)
    flash(_("Listing archived. It no longer appears in the directory."))
    return redirect(url_for("coordinator.dashboard"))


@bp.post("/listings/<int:listing_id>/confirm")
@role_required(*LISTERS)
def confirm_listing(listing_id: int):
    listing = _owned_or_404(listing_id)
    _checked_post()
    try:
        service.confirm_current(current_user._get_current_object(), listing)
    except service.ReviewError as error:
        flash(error.message)
        return redirect(url_for("coordinator.dashboard"))
    flash(_("Thank you. The listing now shows it was checked today."))
    return redirect(url_for("coordinator.dashboard"))
