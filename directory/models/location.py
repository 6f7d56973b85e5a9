from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import new_uuid


class Location(db.Model):
    """HSDS location with its (single, physical) address and coordinates.

    Coordinates come from the address's ZIP centroid unless a street geocoder
    is configured (see geo.py). The (latitude, longitude) index serves the
    bounding-box prefilter of radius search.
    """

    __tablename__ = "location"
    __table_args__ = (Index("ix_location_lat_lon", "latitude", "longitude"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hsds_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200), default="")
    address_1: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    state: Mapped[str] = mapped_column(String(2), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)

    @property
    def one_line(self) -> str:
        parts = [self.address_1, self.city, f"{self.state} {self.postal_code}".strip()]
        return ", ".join(p for p in parts if p)


class ServiceAtLocation(db.Model):
    """HSDS service_at_location: a listing offered at a location."""

    __tablename__ = "service_at_location"
    __table_args__ = (UniqueConstraint("listing_id", "location_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hsds_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listing.id", ondelete="CASCADE"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id", ondelete="CASCADE"), index=True)

    listing: Mapped["Listing"] = relationship(back_populates="service_at_locations")  # noqa: F821
    location: Mapped[Location] = relationship(lazy="joined")
