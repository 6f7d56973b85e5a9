from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..vocabulary import NATIONWIDE, REMOTE_DELIVERY
from .base import new_uuid, utcnow


class Listing(db.Model):
    """One directory listing (HSDS service): a support program or a counselor.

    Single-valued vocabulary codes are columns; multi-valued ones (delivery,
    audience, journey_stage, cancer_type, language) and the remote service
    area live in ListingCode rows so that search filters them with one index.
    """

    __tablename__ = "listing"
    __table_args__ = (Index("ix_listing_status_kind", "status", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hsds_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # The description in Spanish, when the program wrote one. HSDS 3.0 has one description per
    # service, so HSDS carries this one as a `description_es` attribute (hsds/profile.py).
    description_es: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(254))

    kind: Mapped[str] = mapped_column(String(20))
    session_format: Mapped[str] = mapped_column(String(20))
    moderation: Mapped[str | None] = mapped_column(String(30))
    online_mode: Mapped[str | None] = mapped_column(String(10))
    membership: Mapped[str | None] = mapped_column(String(20))
    cost: Mapped[str] = mapped_column(String(20), default="free")
    cost_details: Mapped[str | None] = mapped_column(Text)
    how_to_join: Mapped[str | None] = mapped_column(Text)  # HSDS application_process
    accessibility: Mapped[str | None] = mapped_column(Text)

    # Online-safety facts (DESIGN.md); None means "the listing does not say".
    moderator_credentials: Mapped[str | None] = mapped_column(String(300))
    privacy_policy_url: Mapped[str | None] = mapped_column(String(500))
    records_sessions: Mapped[bool | None]
    anonymity_allowed: Mapped[bool | None]
    medical_advice_policy: Mapped[str | None] = mapped_column(Text)

    # Counseling facts.
    license_type: Mapped[str | None] = mapped_column(String(40))
    license_number: Mapped[str | None] = mapped_column(String(60))
    license_state: Mapped[str | None] = mapped_column(String(2))
    accepting_clients: Mapped[bool | None]

    # Taxonomy terms an HSDS import brought that are not in our vocabulary, kept as they came (the
    # attribute's id, link_type and value, and the term itself) so the exporter writes them back out
    # as attributes instead of losing them: [{"id", "link_type", "value", "term"?, "taxonomy"?}].
    other_terms: Mapped[list | None] = mapped_column(JSON)

    status: Mapped[str] = mapped_column(String(20), default="draft")  # publication status
    service_status: Mapped[str] = mapped_column(String(20), default="active")  # HSDS status
    last_verified: Mapped[date | None] = mapped_column(Date)  # HSDS assured_date
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    organization: Mapped["Organization"] = relationship(back_populates="listings")  # noqa: F821
    codes: Mapped[list["ListingCode"]] = relationship(
        back_populates="listing", cascade="all, delete-orphan", order_by="ListingCode.code"
    )
    service_at_locations: Mapped[list["ServiceAtLocation"]] = relationship(  # noqa: F821
        back_populates="listing", cascade="all, delete-orphan"
    )
    phones: Mapped[list["Phone"]] = relationship(back_populates="listing", cascade="all, delete-orphan")
    schedules: Mapped[list["Schedule"]] = relationship(back_populates="listing", cascade="all, delete-orphan")

    # -- multi-valued codes -------------------------------------------------
    def codes_for(self, field: str) -> list[str]:
        return [c.code for c in self.codes if c.field == field]

    def set_codes(self, field: str, codes: list[str]) -> None:
        wanted = list(dict.fromkeys(codes))  # keep order, drop repeats
        self.codes = [c for c in self.codes if c.field != field] + [
            ListingCode(field=field, code=code) for code in wanted
        ]

    delivery = property(lambda self: self.codes_for("delivery"))
    audience = property(lambda self: self.codes_for("audience"))
    journey_stage = property(lambda self: self.codes_for("journey_stage"))
    cancer_type = property(lambda self: self.codes_for("cancer_type"))
    languages = property(lambda self: self.codes_for("language"))
    service_area = property(lambda self: self.codes_for("service_area"))

    @property
    def telehealth_states(self) -> list[str]:
        """For a counselor, the remote service area is where they may see clients by telehealth."""
        return [s for s in self.service_area if s != NATIONWIDE] if self.kind == "counseling" else []

    @property
    def locations(self) -> list["Location"]:  # noqa: F821
        return [sal.location for sal in self.service_at_locations]

    @property
    def is_remote_only(self) -> bool:
        return not self.locations and any(d in REMOTE_DELIVERY for d in self.delivery)

    @property
    def is_online(self) -> bool:
        return "online" in self.delivery

    def __repr__(self) -> str:
        return f"<Listing {self.id} {self.name!r} {self.status}>"


class ListingCode(db.Model):
    """One code of a multi-valued field on a listing (e.g. delivery=online).

    field is one of delivery, audience, journey_stage, cancer_type, language,
    service_area (state code or "US").
    """

    __tablename__ = "listing_code"
    __table_args__ = (Index("ix_listing_code_field_code", "field", "code", "listing_id"),)

    listing_id: Mapped[int] = mapped_column(ForeignKey("listing.id", ondelete="CASCADE"), primary_key=True)
    field: Mapped[str] = mapped_column(String(20), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), primary_key=True)

    listing: Mapped[Listing] = relationship(back_populates="codes")


class Phone(db.Model):
    """HSDS phone attached to a listing."""

    __tablename__ = "phone"

    id: Mapped[int] = mapped_column(primary_key=True)
    hsds_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listing.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(40))
    extension: Mapped[str | None] = mapped_column(String(10))
    type: Mapped[str] = mapped_column(String(10), default="voice")
    description: Mapped[str | None] = mapped_column(String(300))

    listing: Mapped[Listing] = relationship(back_populates="phones")


class Schedule(db.Model):
    """HSDS schedule (iCalendar RRULE parts): freq WEEKLY/MONTHLY, byday like "TU" or "1TH"."""

    __tablename__ = "schedule"

    id: Mapped[int] = mapped_column(primary_key=True)
    hsds_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listing.id", ondelete="CASCADE"), index=True)
    freq: Mapped[str] = mapped_column(String(10))
    interval: Mapped[int] = mapped_column(default=1)
    byday: Mapped[str] = mapped_column(String(40), default="")
    opens_at: Mapped[time | None] = mapped_column(Time)
    closes_at: Mapped[time | None] = mapped_column(Time)
    timezone: Mapped[str | None] = mapped_column(String(60))
    description: Mapped[str | None] = mapped_column(Text)

    listing: Mapped[Listing] = relationship(back_populates="schedules")
