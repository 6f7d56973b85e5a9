"""Problems the public reports on a listing: filed anonymously, resolved by a moderator. Plain functions."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..audit import record
from ..extensions import db
from ..models import REPORT_PROBLEMS, Listing, ListingReport, User, utcnow
from ..models.report import REPORT_COMMENT_MAX

PROBLEM_LABELS = {
    "phone": _l("The phone number is wrong"),
    "address": _l("The address is wrong"),
    "schedule": _l("The meeting times are wrong"),
    "closed": _l("The program has closed"),
    "other": _l("Something else"),
}
assert tuple(PROBLEM_LABELS) == REPORT_PROBLEMS


def problem_label(code: str) -> str:
    return str(PROBLEM_LABELS.get(code, code))


def report_problem(listing: Listing, problem: str, comment: str | None) -> ListingReport:
    """File a report. Nothing about who sent it is stored; the audit row has no actor."""
    if problem not in REPORT_PROBLEMS:
        raise ValueError(f"unknown problem {problem!r}")
    comment = (comment or "").strip()[:REPORT_COMMENT_MAX]
    report = ListingReport(listing_id=listing.id, problem=problem, comment=comment)
    db.session.add(report)
    db.session.flush()
    record(None, "report_received", "listing_report", report.id)
    db.session.commit()
    return report


def resolve_report(moderator: User, report: ListingReport) -> None:
    report.status, report.resolved_by_id, report.resolved_at = "resolved", moderator.id, utcnow()
    record(moderator, "report_resolved", "listing_report", report.id)
    db.session.commit()
