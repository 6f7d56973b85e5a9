from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow

REFERRAL_STATUSES = ("pending", "contacted", "connected", "could_not_reach", "not_eligible", "no_capacity", "declined")


class ReferralPacket(db.Model):
    """A caseworker's options for one client. The client is a reference (a code or initials), never a name."""

    __tablename__ = "referral_packet"

    id: Mapped[int] = mapped_column(primary_key=True)
    caseworker_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    client_reference: Mapped[str] = mapped_column(String(20))
    client_language: Mapped[str] = mapped_column(String(2), default="en")
    notes: Mapped[str | None] = mapped_column(Text)  # for the caseworker only: never shared or printed
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    share_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    share_expires_at: Mapped[datetime | None]
    share_revoked: Mapped[bool] = mapped_column(default=False)

    items: Mapped[list["ReferralItem"]] = relationship(back_populates="packet", cascade="all, delete-orphan",
                                                       passive_deletes=True, order_by="ReferralItem.id")

    def __repr__(self) -> str:  # no client reference: reprs end up in logs
        return f"<ReferralPacket {self.id}>"


class ReferralItem(db.Model):
    """One listing in a packet, with a note for the client and what came of it."""

    __tablename__ = "referral_item"
    __table_args__ = (UniqueConstraint("packet_id", "listing_id", name="uq_referral_item_packet_listing"),
                      Index("ix_referral_item_listing_status", "listing_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    packet_id: Mapped[int] = mapped_column(ForeignKey("referral_packet.id", ondelete="CASCADE"), index=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listing.id", ondelete="CASCADE"))
    note_for_client: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    status_note: Mapped[str | None] = mapped_column(String(500))
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    packet: Mapped[ReferralPacket] = relationship(back_populates="items")
    listing: Mapped["Listing"] = relationship()  # noqa: F821

    def __repr__(self) -> str:
        return f"<ReferralItem {self.id} {self.status}>"
