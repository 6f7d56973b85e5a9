"""Guidance beside every listing: the online-group checklist and notes for one listing.

The words live in seeds/guidance.json; this module decides which notes a
listing gets and in what order (the most important caution first).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache, lru_cache

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
    return Note(code, _words(code, "short", language, values), _words(code, "text", language, values), level)


def _words(code: str, form: str, language: str, values: tuple[tuple[str, str], ...]) -> str:
    """A note's short or long ("text") words in `language`, its placeholders filled with `values`."""
    return localized(load_seed_json("guidance.json")["notes"][code][form], language).format(**dict(values))


def _info(code: str, level: str = "info") -> tuple[str, str, tuple]:
    return (code, level, ())


# The notes that take no values, made once: _note_codes runs for every result of every search.
_UNMODERATED = _info("unmoderated_medical_caution", "caution")
_BOARD = _info("board_not_medical_advice", "caution")
_SCREENED_PROFESSIONAL = _info("screened_professional", "good")
_LED_BY_PROFESSIONAL = _info("led_by_professional", "good")
_PEER_LED = _info("peer_led")
_MODERATION_UNKNOWN = _info("moderation_unknown", "caution")
_PRIVACY_LISTED = _info("privacy_policy_listed")
_PRIVACY_MISSING = _info("privacy_policy_missing", "caution")
_RECORDS = _info("records_sessions", "caution")
_RECORDING_UNKNOWN = _info("recording_unknown")
_ANONYMITY = _info("anonymity_allowed", "good")
_PHONE = _info("phone_support")
_IN_PERSON_VISIT = _info("in_person_visit")
_NOT_ACCEPTING = _info("not_accepting_clients", "caution")
_ASK_COST = _info("ask_cost")
_NOT_YET_VERIFIED = _info("not_yet_verified", "caution")
_DEMO = _info("demo_listing", "caution")


def _note_codes(listing: Listing, today: date, language: str) -> list[tuple[str, str, tuple]]:
    """(code, level, placeholder values) for the notes that fit this listing, in order."""
    notes: list[tuple[str, str, tuple]] = []
    add = notes.append
    delivery = listing.delivery
    online = "online" in delivery
    moderation = listing.moderation
    program = listing.kind == "support_program"

    if online and moderation == "unmoderated":
        add(_UNMODERATED)
    elif online and listing.online_mode in ("chat", "forum"):
        add(_BOARD)

    if program:
        if moderation == "licensed_professional":
            add(_SCREENED_PROFESSIONAL if listing.membership == "screened" else _LED_BY_PROFESSIONAL)
        elif moderation == "trained_peer":
            add(_PEER_LED)
        elif moderation is None:
            add(_MODERATION_UNKNOWN)

    # The online-group notes speak of posts, members and sessions; a counselor's
    # telehealth gets the license and telehealth notes below instead.
    if online and program:
        add(_PRIVACY_LISTED if listing.privacy_policy_url else _PRIVACY_MISSING)
        if listing.online_mode == "video" and listing.records_sessions:
            add(_RECORDS)
        elif listing.online_mode == "video" and listing.records_sessions is None:
            add(_RECORDING_UNKNOWN)
        if listing.anonymity_allowed:
            add(_ANONYMITY)
        if listing.medical_advice_policy:
            add(("medical_advice_policy", "info", (("policy", listing.medical_advice_policy.strip()),)))

    if "phone" in delivery:
        add(_PHONE)
    if "in_person" in delivery and listing.session_format == "group":
        add(_IN_PERSON_VISIT)

    if listing.kind == "counseling":
        if listing.accepting_clients is False:
            add(_NOT_ACCEPTING)
        if listing.license_state:
            add(("license_check", "info", (("state", listing.license_state),)))
        if online and listing.telehealth_states:
            add(("telehealth_states", "info", (("states", ", ".join(listing.telehealth_states)),)))

    if listing.cost in ("fee", "insurance"):
        add(_ASK_COST)

    if listing.last_verified is None:
        add(_NOT_YET_VERIFIED)
    elif today - listing.last_verified > STALE_AFTER:
        add(("verification_old", "caution", (("date", day_in_words(listing.last_verified, language)),)))

    if listing.is_demo:
        add(_DEMO)
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
    return [_note(code, level, language, values)
            for code, level, values in _shown(_note_codes(listing, today or date.today(), language))]


def short_notes_data(listing: Listing, today: date, language: str) -> list[dict]:
    """short_notes_for as the API gives them, [{"code", "text"}] (each dict is shared: read it, never change it).

    Chosen by the notes' levels alone (a couple of hundred combinations), then each made once: keyed by
    the whole list of notes, with the values some carry (a date, a state, a policy), nearly every listing
    had a list of its own, and at 100,000 listings more than half of a page's results missed a cache of 4,096
    (10 µs each, against 2)."""
    # Most short texts take no value (a policy's does not quote it): keyed without them, they are made once.
    with_values = _short_texts_with_values()
    return [_short_note_dict(code, values if code in with_values else (), language)
            for code, _, values in _shown(_note_codes(listing, today, language))]


def _shown(notes: list[tuple[str, str, tuple]]) -> list[tuple[str, str, tuple]]:
    """The notes a result shows (_note_codes' entries): the cautions, then the rest, each in order."""
    return [notes[at] for at in _shown_positions(tuple(level for _, level, _ in notes))]


@lru_cache(maxsize=1024)
def _shown_positions(levels: tuple[str, ...]) -> tuple[int, ...]:
    """_shown's choice from the notes' levels alone, at most SHORT_NOTES_ON_RESULTS of them."""
    return tuple(sorted(range(len(levels)), key=lambda at: levels[at] != "caution")[:SHORT_NOTES_ON_RESULTS])


@lru_cache(maxsize=4096)
def _short_note_dict(code: str, values: tuple, language: str) -> dict:
    return {"code": code, "text": _words(code, "short", language, values)}


@cache
def _short_texts_with_values() -> frozenset[str]:
    """The codes of the notes whose short text, in some language, has a placeholder ("{date}")."""
    return frozenset(code for code, words in load_seed_json("guidance.json")["notes"].items()
                     if any("{" in text for text in words["short"].values()))
