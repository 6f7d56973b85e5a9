"""Guidance beside every listing: the online-group checklist and notes for one listing.

The words live in seeds/guidance.json; this module decides which notes a
listing gets and in what order (the most important caution first).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache
from typing import NamedTuple

from flask_babel import format_date

from .content import current_language, load_seed_json, localized
from .models import Listing

STALE_AFTER = timedelta(days=180)
SHORT_NOTES_ON_RESULTS = 3


@dataclass(frozen=True)
class Note:
    code: str
    short: str
    text: str
    level: str  # "caution", "info" or "good": how the page styles it


def checklist() -> list[dict]:
    """The general checklist for judging an online group: [{code, title, text}]."""
    return [
        {"code": item["code"], "title": localized(item["title"]), "text": localized(item["text"])}
        for item in load_seed_json("guidance.json")["checklist"]
    ]


def page_text(key: str) -> str:
    return localized(load_seed_json("guidance.json")["page"][key])


def _note(code: str, level: str, language: str | None = None, **values) -> Note:
    words = load_seed_json("guidance.json")["notes"][code]
    return Note(code, localized(words["short"], language).format(**values),
                localized(words["text"], language).format(**values), level)


class _Facts(NamedTuple):
    """Everything about a listing that its notes depend on (with the day and the reader's language)."""
    kind: str
    session_format: str
    delivery: tuple[str, ...]
    moderation: str | None
    online_mode: str | None
    membership: str | None
    privacy_policy_url: str | bool | None  # only whether there is one (see of)
    records_sessions: bool | None
    anonymity_allowed: bool | None
    medical_advice_policy: str | None
    accepting_clients: bool | None
    license_state: str | None
    telehealth_states: tuple[str, ...]
    cost: str
    last_verified: date | None
    is_demo: bool

    @classmethod
    def of(cls, listing, today: date) -> "_Facts":
        facts = cls(*(tuple(value) if isinstance(value, list) else value
                      for value in (getattr(listing, name) for name in cls._fields)))
        # Only whether there is a privacy policy, and only whether a verification is recent, change
        # which notes a listing gets: one key for all such listings, so that _notes' memo serves every
        # listing with the same facts instead of holding one entry per URL or date (notes_for puts a
        # stale listing's own date in its note).
        facts = facts._replace(privacy_policy_url=bool(facts.privacy_policy_url))
        if facts.last_verified is not None:
            facts = facts._replace(last_verified=_RECENT if today - facts.last_verified <= STALE_AFTER else _STALE)
        return facts


_RECENT = date.max  # a last_verified within STALE_AFTER: never stale
_STALE = date.min  # one older than STALE_AFTER
_ITS_DATE = "{date}"  # left in a stale listing's note by _notes, for notes_for to fill


def _note_codes(listing: Listing | _Facts, today: date) -> list[tuple[str, str, dict]]:
    """(code, level, placeholder values) for the notes that fit this listing, in order."""
    notes: list[tuple[str, str, dict]] = []
    online = "online" in listing.delivery
    add = lambda code, level="info", **values: notes.append((code, level, values))  # noqa: E731

    if online and listing.moderation == "unmoderated":
        add("unmoderated_medical_caution", "caution")
    elif online and listing.online_mode in ("chat", "forum"):
        add("board_not_medical_advice", "caution")

    if listing.kind == "support_program":
        if listing.moderation == "licensed_professional":
            add("screened_professional" if listing.membership == "screened" else "led_by_professional", "good")
        elif listing.moderation == "trained_peer":
            add("peer_led")
        elif listing.moderation is None:
            add("moderation_unknown", "caution")

    # The online-group notes speak of posts, members and sessions; a counselor's
    # telehealth gets the license and telehealth notes below instead.
    if online and listing.kind == "support_program":
        if listing.privacy_policy_url:
            add("privacy_policy_listed")
        else:
            add("privacy_policy_missing", "caution")
        if listing.online_mode == "video" and listing.records_sessions:
            add("records_sessions", "caution")
        elif listing.online_mode == "video" and listing.records_sessions is None:
            add("recording_unknown")
        if listing.anonymity_allowed:
            add("anonymity_allowed", "good")
        if listing.medical_advice_policy:
            add("medical_advice_policy", policy=listing.medical_advice_policy.strip())

    if "phone" in listing.delivery:
        add("phone_support")
    if "in_person" in listing.delivery and listing.session_format == "group":
        add("in_person_visit")

    if listing.kind == "counseling":
        if listing.accepting_clients is False:
            add("not_accepting_clients", "caution")
        if listing.license_state:
            add("license_check", state=listing.license_state)
        if listing.telehealth_states and online:
            add("telehealth_states", states=", ".join(listing.telehealth_states))

    if listing.cost in ("fee", "insurance"):
        add("ask_cost")

    if listing.last_verified is None:
        add("not_yet_verified", "caution")
    elif today - listing.last_verified > STALE_AFTER:
        add("verification_old", "caution", date=_ITS_DATE)

    if listing.is_demo:
        add("demo_listing", "caution")
    return notes


def notes_for(listing: Listing, today: date | None = None) -> list[Note]:
    """Every note for a listing's page, the most important first."""
    today = today or date.today()
    facts = _Facts.of(listing, today)
    language = current_language()
    notes = _notes(facts, today, language)
    if facts.last_verified is _STALE:
        when = _day_in_words(listing.last_verified, language)
        return [replace(note, short=note.short.replace(_ITS_DATE, when), text=note.text.replace(_ITS_DATE, when))
                if note.code == "verification_old" else note for note in notes]
    return list(notes)


@lru_cache(maxsize=4096)
def _day_in_words(day: date, language: str) -> str:
    return format_date(day, "medium")  # in the current locale, whose language is `language`


@lru_cache(maxsize=1024)  # about 1 MB
def _notes(facts: _Facts, today: date, language: str) -> tuple[Note, ...]:
    # A pure function of its arguments (the words come from seeds/, read once): a results page
    # mostly asks for notes it has made before, often for other listings with the same facts.
    return tuple(_note(code, level, language, **values) for code, level, values in _note_codes(facts, today))


def short_notes_for(listing: Listing, today: date | None = None) -> list[Note]:
    """The few notes a search result shows: the cautions first, so that none is cut for a lesser note
    (a stale or unconfirmed listing's caution comes late in notes_for's order)."""
    notes = notes_for(listing, today)
    return sorted(notes, key=lambda note: note.level != "caution")[:SHORT_NOTES_ON_RESULTS]
