"""Referral rules in plain functions. Each writing function commits, or raises before writing anything.

The audit trail gets ids only: never the client reference, notes or statuses' notes.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from ..audit import record
from ..extensions import db
from ..listings_service import find
from ..models import REFERRAL_STATUSES, Listing, ReferralItem, ReferralPacket, User, utcnow
from ..vocabulary import LANGUAGE

CLIENT_REFERENCE_RE = re.compile(r"^[A-Za-z0-9_-]{1,20}$")
SHARE_DAYS = 30
FOLLOW_UP_AFTER = timedelta(days=7)
UNREACHABLE_STATUSES = ("could_not_reach", "no_capacity")
FLAG_THRESHOLD = 3  # distinct caseworkers
NOTE_FOR_CLIENT_MAX, STATUS_NOTE_MAX, NOTES_MAX = 300, 500, 2000


class ReferralError(ValueError):
    """A request the rules refuse; the message is for people, `field` names the form field."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class ShareGone(LookupError):
    """A share link that existed but was revoked or has expired (the view answers 410)."""


# -- reading ----------------------------------------------------------------------------------------

def owned_packet(packet_id: int, user: User) -> ReferralPacket | None:
    """The packet if it is the user's, else None (the view answers 404, so ids reveal nothing)."""
    packet = find(ReferralPacket, packet_id)
    if packet is None or packet.caseworker_id != user.id:
        return None
    return packet


def owned_item(packet: ReferralPacket, item_id: int) -> ReferralItem | None:
    item = find(ReferralItem, item_id)
    return item if item is not None and item.packet_id == packet.id else None


def packets_for(user: User) -> list[ReferralPacket]:
    return list(db.session.scalars(select(ReferralPacket).where(ReferralPacket.caseworker_id == user.id)
                                   .order_by(ReferralPacket.created_at.desc(), ReferralPacket.id.desc())))


def awaiting_follow_up(user: User, now: datetime | None = None) -> list[ReferralItem]:
    """The user's items still pending after FOLLOW_UP_AFTER, the longest waiting first."""
    cutoff = (now or utcnow()) - FOLLOW_UP_AFTER
    stmt = (select(ReferralItem).join(ReferralPacket)
            .where(ReferralPacket.caseworker_id == user.id, ReferralItem.status == "pending",
                   ReferralItem.status_changed_at <= cutoff)
            .order_by(ReferralItem.status_changed_at, ReferralItem.id))
    return list(db.session.scalars(stmt))


def shared_packet(token: str, now: datetime | None = None) -> ReferralPacket | None:
    """The packet this share token opens; None for an unknown token, ShareGone for a revoked or expired one."""
    if not token or len(token) > 64:
        return None
    packet = db.session.scalar(select(ReferralPacket).where(ReferralPacket.share_token == token))
    if packet is None:
        return None
    if packet.share_revoked or packet.share_expires_at is None or packet.share_expires_at <= (now or utcnow()):
        raise ShareGone()
    return packet


def share_is_live(packet: ReferralPacket, now: datetime | None = None) -> bool:
    return bool(packet.share_token and not packet.share_revoked and packet.share_expires_at
                and packet.share_expires_at > (now or utcnow()))


@dataclass(frozen=True)
class ListingFlag:
    listing: Listing
    caseworkers: int


def unreachable_counts(listing_ids: list[int] | None = None, threshold: int = FLAG_THRESHOLD) -> dict[int, int]:
    """{listing id: distinct caseworkers who could not reach it or found no capacity}, for those at the threshold.

    Counts only: coordinators and moderators see how many, never which clients or caseworkers.
    """
    caseworkers = func.count(func.distinct(ReferralPacket.caseworker_id))
    stmt = (select(ReferralItem.listing_id, caseworkers).join(ReferralPacket)
            .where(ReferralItem.status.in_(UNREACHABLE_STATUSES))
            .group_by(ReferralItem.listing_id).having(caseworkers >= threshold))
    if listing_ids is not None:
        if not listing_ids:
            return {}
        stmt = stmt.where(ReferralItem.listing_id.in_(listing_ids))
    return {listing_id: count for listing_id, count in db.session.execute(stmt)}


def flagged_listings(listing_ids: list[int] | None = None) -> list[ListingFlag]:
    counts = unreachable_counts(listing_ids)
    if not counts:
        return []
    listings = db.session.scalars(select(Listing).where(Listing.id.in_(counts)).order_by(Listing.name, Listing.id))
    return [ListingFlag(listing, counts[listing.id]) for listing in listings]


# -- checking ---------------------------------------------------------------------------------------

def check_client_reference(value: str | None) -> str:
    value = (value or "").strip()
    if not CLIENT_REFERENCE_RE.match(value):
        raise ReferralError(_("Enter a code or initials: up to 20 letters, digits, hyphens or underscores, "
                              "with no spaces. Do not enter the client's name."), "client_reference")
    return value


def check_language(code: str | None) -> str:
    if code not in LANGUAGE:
        raise ReferralError(_("Choose one of the languages shown."), "client_language")
    return code


def check_status(code: str | None) -> str:
    if code not in REFERRAL_STATUSES:
        raise ReferralError(_("Choose one of the statuses shown."), "status")
    return code


def _check_length(value: str | None, limit: int, field: str) -> str | None:
    value = (value or "").strip() or None
    if value is not None and len(value) > limit:
        raise ReferralError(_("Keep this to %(n)d characters or fewer.", n=limit), field)
    return value


# -- writing ----------------------------------------------------------------------------------------

def create_packet(caseworker: User, client_reference: str, client_language: str,
                  notes: str | None = None) -> ReferralPacket:
    packet = ReferralPacket(caseworker_id=caseworker.id, client_reference=check_client_reference(client_reference),
                            client_language=check_language(client_language),
                            notes=_check_length(notes, NOTES_MAX, "notes"))
    db.session.add(packet)
    db.session.flush()
    record(caseworker, "referral.created", "referral_packet", packet.id)
    db.session.commit()
    return packet


def record_view(actor: User | None, packet: ReferralPacket, action: str = "referral.viewed") -> None:
    record(actor, action, "referral_packet", packet.id)
    db.session.commit()


def add_listing(caseworker: User, packet: ReferralPacket, listing: Listing,
                note_for_client: str | None = None) -> ReferralItem:
    note = _check_length(note_for_client, NOTE_FOR_CLIENT_MAX, "note_for_client")
    if any(item.listing_id == listing.id for item in packet.items):
        raise ReferralError(_("That listing is already in this packet."), "listing_id")
    item = ReferralItem(packet=packet, listing_id=listing.id, note_for_client=note)
    db.session.add(item)
    db.session.flush()
    record(caseworker, "referral.item_added", "referral_packet", packet.id)
    db.session.commit()
    return item


def update_item(caseworker: User, item: ReferralItem, status: str, status_note: str | None,
                note_for_client: str | None, now: datetime | None = None) -> ReferralItem:
    """Set an item's status (dated when it changes), its status note and its note for the client."""
    status = check_status(status)
    status_note = _check_length(status_note, STATUS_NOTE_MAX, "status_note")
    note_for_client = _check_length(note_for_client, NOTE_FOR_CLIENT_MAX, "note_for_client")
    if status != item.status:
        item.status = status
        item.status_changed_at = now or utcnow()
    item.status_note = status_note
    item.note_for_client = note_for_client
    record(caseworker, "referral.item_updated", "referral_packet", item.packet_id)
    db.session.commit()
    return item


def remove_item(caseworker: User, item: ReferralItem) -> None:
    packet_id = item.packet_id
    db.session.delete(item)
    record(caseworker, "referral.item_removed", "referral_packet", packet_id)
    db.session.commit()


def delete_packet(caseworker: User, packet: ReferralPacket) -> None:
    packet_id = packet.id
    db.session.execute(delete(ReferralItem).where(ReferralItem.packet_id == packet_id))
    db.session.delete(packet)
    record(caseworker, "referral.deleted", "referral_packet", packet_id)
    db.session.commit()


def create_share_link(caseworker: User, packet: ReferralPacket, days: int = SHARE_DAYS,
                      now: datetime | None = None) -> str:
    """A fresh long random token (any earlier link stops working), good for `days` days."""
    packet.share_token = secrets.token_urlsafe(32)
    packet.share_expires_at = (now or utcnow()) + timedelta(days=days)
    packet.share_revoked = False
    record(caseworker, "referral.shared", "referral_packet", packet.id)
    db.session.commit()
    return packet.share_token


def revoke_share_link(caseworker: User, packet: ReferralPacket) -> None:
    packet.share_revoked = True
    record(caseworker, "referral.share_revoked", "referral_packet", packet.id)
    db.session.commit()


def purge(older_than_days: int, now: datetime | None = None) -> tuple[int, int]:
    """Delete packets created more than `older_than_days` ago and their items; (packets, items) deleted.

    Audit rows stay (they hold ids only); each purged packet gets one more.
    """
    if older_than_days < 1:
        raise ValueError("older_than_days must be at least 1")
    cutoff = (now or utcnow()) - timedelta(days=older_than_days)
    packet_ids = list(db.session.scalars(select(ReferralPacket.id).where(ReferralPacket.created_at < cutoff)))
    if not packet_ids:
        return 0, 0
    items = db.session.execute(delete(ReferralItem).where(ReferralItem.packet_id.in_(packet_ids))).rowcount
    db.session.execute(delete(ReferralPacket).where(ReferralPacket.id.in_(packet_ids)))
    for packet_id in packet_ids:
        record(None, "referral.purged", "referral_packet", packet_id)
    db.session.commit()
    return len(packet_ids), items
