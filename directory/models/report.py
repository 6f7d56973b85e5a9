from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow

REPORT_PROBLEMS = ("phone", "address", "schedule", "closed", "other")
REPORT_COMMENT_MAX = 500


class ListingReport(db.Model):
    """A problem someone reported on a public listing.

    Nothing about the reporter is kept: no account, no IP address, no email.
    """

    __tablename__ = "listing_report"
    __table_args__ = (Index("ix_listing_report_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listing.id", ondelete="CASCADE"), index=True)
    problem: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(String(REPORT_COMMENT_MAX), default="")
    status: Mapped[str] = mapped_column(String(20), default="open")  # open, resolved
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None]

    listing: Mapped["Listing"] = relationship()  # noqa: F821
