"""Guidance beside every listing: the online-group checklist and notes for one listing.

The words live in seeds/guidance.json; this module decides which notes a
listing gets and in what order (the most important caution first).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from .content import current_language, load_seed_json, localized
from .i18n import day_in_words
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


# A note's words depend only on its code, the language and a few values (a state, a date): a page of
# results mostly asks for notes made before, for other listings.
@lru_cache(maxsize=4096)  # about 2 MB
def _note(code: str, level: str, language: str, values: tuple[tuple[str, str], ...] = ()) -> Note:
    words = load_seed_json("guidance.json")["notes"][code]
    return Note(code, localized(words["short"], language).format(**dict(values)),
                localized(words["text"], language).format(**dict(values)), level)


def _note_codes(listing: Listing, today: date, language: str) -> list[tuple[str, str, tuple]]:
    """(code, level, placeholder values) for the notes that fit this listing, in order."""
    notes: list[tuple[str, str, tuple]] = []
    online = "online" in listing.delivery
    add = lambda code, level="info", **values: notes.append((code, level, tuple(values.items())))  # noqa: E731

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
        add("verification_old", "caution", date=day_in_words(listing.last_verified, language))

    if listing.is_demo:
        add("demo_listing", "caution")
    return notes


def notes_for(listing: Listing, today: date | None = None, language: str | None = None) -> list[Note]:
    """Every note for a listing's page, the most important first (in `language`, else the reader's)."""
    language = language or current_language()
    return [_note(code, level, language, values)
            for code, level, values in _note_codes(listing, today or date.today(), language)]


def short_notes_for(listing: Listing, today: date | None = None, language: str | None = None) -> list[Note]:
    """The few notes a search result shows: the cautions first, so that none is cut for a lesser note
    (a stale or unconfirmed listing's caution comes late in notes_for's order)."""
    language = language or current_language()
    return list(_short_notes(tuple(_note_codes(listing, today or date.today(), language)), language))


# Listings share a few combinations of notes: a page of results asks for each once, not for its notes one by
# one and sorted again (half the time of an API result's summary).
@lru_cache(maxsize=4096)
def _short_notes(codes: tuple[tuple[str, str, tuple], ...], language: str) -> tuple[Note, ...]:
    notes = [_note(code, level, language, values) for code, level, values in codes]
    return tuple(sorted(notes, key=lambda note: note.level != "caution")[:SHORT_NOTES_ON_RESULTS])
