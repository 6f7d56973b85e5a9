"""How current a listing is: when it was last confirmed accurate.

A listing counts from the day it was last verified: confirmed by its
coordinator, or approved by a moderator (an approval also marks it verified,
since its coordinator vouched for every detail just then). One never verified
(imported or seeded) counts from when it was created. After STALE_DAYS it is
flagged on its page and on its coordinator's dashboard; after EXPIRED_DAYS it
leaves search until confirmed: `fresh_clause` is part of search.published, and
radius search reads the same rule from SearchEntry.fresh_until.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, or_

from .models import Listing, SearchEntry

STALE_DAYS = 180
EXPIRED_DAYS = 365


def counted_from(last_verified: date | None, created_at: datetime | None) -> date:
    """The day a listing's freshness counts from."""
    if last_verified is not None:
        return last_verified
    return created_at.date() if created_at is not None else date.today()


def fresh_until(last_verified: date | None, created_at: datetime | None) -> date:
    """The last day the listing stays in search without being confirmed again."""
    return counted_from(last_verified, created_at) + timedelta(days=EXPIRED_DAYS)


def age_days(listing: Listing, today: date | None = None) -> int:
    return ((today or date.today()) - counted_from(listing.last_verified, listing.created_at)).days


def is_stale(listing: Listing, today: date | None = None) -> bool:
    return age_days(listing, today) > STALE_DAYS


def is_expired(listing: Listing, today: date | None = None) -> bool:
    return age_days(listing, today) > EXPIRED_DAYS


def _older_than(days: int, today: date | None):
    cutoff = (today or date.today()) - timedelta(days=days)
    return or_(Listing.last_verified < cutoff,
               and_(Listing.last_verified.is_(None), Listing.created_at < datetime.combine(cutoff, time.min)))


def fresh_clause(today: date | None = None):
    """SQL: the listing was verified (or, never verified, created) within EXPIRED_DAYS."""
    cutoff = (today or date.today()) - timedelta(days=EXPIRED_DAYS)
    return or_(Listing.last_verified >= cutoff,
               and_(Listing.last_verified.is_(None), Listing.created_at >= datetime.combine(cutoff, time.min)))


def stale_clause(today: date | None = None):
    """SQL: the listing is past STALE_DAYS (the dashboard's "please confirm" list)."""
    return _older_than(STALE_DAYS, today)


def fresh_entry_clause(today: date | None = None):
    """SQL: the same rule as fresh_clause, on a search index entry."""
    return SearchEntry.fresh_until >= (today or date.today())
