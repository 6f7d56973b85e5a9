"""Report a problem with a public listing: no account needed, rate-limited, CSRF-protected."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ..extensions import limiter
from ..search import get_published_listing
from . import service
from .forms import ReportForm

bp = Blueprint("reports", __name__)

REPORT_LIMIT = "5 per hour"


@bp.route("/listings/<int:listing_id>/report", methods=["GET", "POST"])
@limiter.limit(REPORT_LIMIT, methods=["POST"])
def report(listing_id: int):
    listing = get_published_listing(listing_id)
    if listing is None:
        abort(404)
    form = ReportForm()
    if form.validate_on_submit():
        service.report_problem(listing, form.problem.data, form.comment.data)
        flash(_("Thank you. A moderator and the program's coordinator will look into it."))
        return redirect(url_for("public.listing", listing_id=listing.id))
    return render_template("reports/report.html", listing=listing, form=form), 400 if form.is_submitted() else 200


@bp.app_template_global()
def report_form() -> ReportForm:
    """A fresh report form for the listing page (it carries its own CSRF token)."""
    return ReportForm(formdata=None)


bp.add_app_template_global(service.problem_label, "report_problem_label")
