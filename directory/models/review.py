from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow

REVISION_STATUS = ("draft", "pending", "approved", "rejected", "withdrawn")


class ListingRevision(db.Model):
    """A version of a listing that a coordinator proposes and a moderator reviews.

    `data` holds the proposed field values (the listing form's names, as JSON).
    A listing that was never published is reviewed as a whole (`is_new_listing`);
    an edit to a published listing waits here while the published version stays
    public, and is copied onto the listing only when a moderator approves it.
    """

    __tablename__ = "listing_revision"
    __table_args__ = (Index("ix_listing_revision_status_submitted", "status", "submitted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listing.id", ondelete="CASCADE"), index=True)
    data: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    is_new_listing: Mapped[bool] = mapped_column(default=False)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(Text)  # the moderator's words when rejecting
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    reviewed_at: Mapped[datetime | None]

    listing: Mapped["Listing"] = relationship()  # noqa: F821

    @property
    def is_open(self) -> bool:
        return self.status in ("draft", "pending")

    def __repr__(self) -> str:
        return f"<ListingRevision {self.id} of listing {self.listing_id} {self.status}>"
