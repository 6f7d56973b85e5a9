"""A page of search results as its cards show them: every word made here, in the reader's language.

The result card (templates/_macros/listing.html) once made its own words: some 25 calls a card to
gettext, label and the like, each through Jinja's call machinery and a fresh look-up of the reader's
locale. That was two thirds of a results page's rendering. Here a page reads the language, the day
and the start of a listing's URL once, and each card's words are looked up in per-language tables;
the template only lays them out (and escapes them).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from flask_babel import lazy_gettext as _l

from . import guidance
from .content import current_language
from .guidance import Note
from .presenters import label, labels, listing_url_prefix, miles, verified_text
from .search import Hit, SearchPage

# The card's fixed words, translated once per language (_words).
_WORDS = {
    "format": _l("Format"),
    "counselor": _l("Counselor"),
    "licensed_in": _l("licensed in %(state)s"),
    "accepting": _l("accepting new clients"),
    "not_accepting": _l("not accepting new clients"),
    "ask_openings": _l("ask about openings"),
    "who_leads": _l("Who leads it"),
    "not_stated": _l("Not stated"),
    "for": _l("For"),
    "cost": _l("Cost"),
    "languages": _l("Languages"),
    "checked": _l("Checked"),
    "nationwide": _l("available nationwide"),
    "available_in_state": _l("available in %(state)s"),
    "available_in_states": _l("available in %(states)s"),
}


@lru_cache(maxsize=16)
def _words(language: str) -> dict[str, str]:
    """_WORDS in `language`, which is the current locale's (the caller's word: current_language())."""
    return {key: str(text) for key, text in _WORDS.items()}


@dataclass(frozen=True, slots=True)
class ResultView:
    """One result card's content, in words; the template escapes each as it lays it out."""

    id: int
    name: str
    url: str
    is_demo: bool
    organization: str
    emphasis: str  # shown in bold first on the "where" line: the distance, or how a remote listing is delivered
    place: str  # the rest of that line: "City, ST", or where a remote-only listing is available
    facts: tuple[tuple[str, str], ...]  # (term, description) pairs, in the card's order
    notes: list[Note]  # guidance.short_notes_for


def result_views(page: SearchPage) -> list[ResultView]:
    """The cards of a page of results, in its order."""
    language, today, url_prefix = current_language(), date.today(), listing_url_prefix()
    words = _words(language)
    return [_view(hit, page.center, language, today, url_prefix, words) for hit in page.hits]


def _view(hit: Hit, center, language: str, today: date, url_prefix: str, words: dict[str, str]) -> ResultView:
    listing = hit.listing
    emphasis, place = "", ""
    if hit.distance_miles is not None:
        emphasis = miles(hit.distance_miles, language)
        if hit.location:
            place = f"{hit.location.city}, {hit.location.state}"
    elif listing.is_remote_only:
        emphasis = labels("delivery", listing.delivery, language)
        if "US" in listing.service_area:
            place = words["nationwide"]
        elif center:
            place = words["available_in_state"] % {"state": center.state}
        else:
            place = words["available_in_states"] % {"states": ", ".join(listing.service_area)}
    elif hit.location or listing.locations:
        location = hit.location or listing.locations[0]
        place = f"{location.city}, {location.state}"

    how = f"{label('session_format', listing.session_format, language)} · {labels('delivery', listing.delivery, language)}"
    if listing.online_mode:
        how += f" ({label('online_mode', listing.online_mode, language)})"
    facts = [(words["format"], how)]
    if listing.kind == "counseling":
        counselor = label("license_type", listing.license_type, language)
        if listing.license_state:
            counselor += ", " + words["licensed_in"] % {"state": listing.license_state}
        openings = {True: "accepting", False: "not_accepting", None: "ask_openings"}[listing.accepting_clients]
        facts.append((words["counselor"], f"{counselor} · {words[openings]}"))
    else:
        facts.append((words["who_leads"], label("moderation", listing.moderation, language)
                      if listing.moderation else words["not_stated"]))
    if listing.audience:
        facts.append((words["for"], labels("audience", listing.audience, language)))
    facts.append((words["cost"], label("cost", listing.cost, language)))
    if listing.languages:
        facts.append((words["languages"], labels("language", listing.languages, language)))
    facts.append((words["checked"], verified_text(listing, language)))

    return ResultView(
        id=listing.id, name=listing.name, url=f"{url_prefix}{listing.id}", is_demo=listing.is_demo,
        organization=listing.organization.name, emphasis=emphasis, place=place, facts=tuple(facts),
        notes=guidance.short_notes_for(listing, today, language))
