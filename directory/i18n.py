"""The reader's language: which one a request gets, and text in that language.

A reader picks English or Spanish with the switch at the top of every page; the
choice lives in the `lang` cookie (never in the URL, so links a caseworker
copies and shares carry no one's language). Without a choice, the browser's
Accept-Language decides, then English.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from babel import Locale
from flask import current_app, has_request_context, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _

LANGUAGE_COOKIE = "lang"
LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 60 * 60
MAX_RETURN_PATH = 1000  # longer `next` paths go back to the page without its query
LANGUAGE_NAMES = {"en": "English", "es": "Español"}  # each in its own language: never translated


def select_locale() -> Locale:
    """The language for this request: the reader's choice, then Accept-Language, then the default."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands speak the default language
        return _locale(languages[0])
    environ = request.environ
    # Only a request with a cookie or an Accept-Language is worth parsing them for.
    chosen = request.cookies.get(LANGUAGE_COOKIE) if environ.get("HTTP_COOKIE") else None
    if chosen in languages:
        return _locale(chosen)
    accepted = request.accept_languages.best_match(languages) if environ.get("HTTP_ACCEPT_LANGUAGE") else None
    return _locale(accepted or languages[0])


@lru_cache(maxsize=16)
def _locale(code: str) -> Locale:
    """Babel's Locale for a language code, made once: Flask-Babel would parse the code anew on every request
    (it takes a Locale as it is), a few microseconds of each search."""
    return Locale.parse(code)


@lru_cache(maxsize=4096)  # days on which listings were last confirmed
def day_in_words(day: date, language: str) -> str:
    """A day as a reader reads it ("Mar 4, 2026"), in `language`: the current locale's (the caller's word)."""
    return format_date(day, "medium")


@dataclass(frozen=True)
class LocalizedText:
    text: str
    language: str  # the language `text` is written in
    note: str  # why the reader gets another language than theirs; "" when they do not


def listing_description(listing, language: str) -> LocalizedText:
    """The listing's description in `language` if it has one, else in the other language with a note."""
    english = (listing.description or "").strip()
    spanish = (listing.description_es or "").strip()
    if language == "es":
        if spanish:
            return LocalizedText(spanish, "es", "")
        return LocalizedText(english, "en", _("This description is only available in English.") if english else "")
    if english:
        return LocalizedText(english, "en", "")
    return LocalizedText(spanish, "es", _("This description is only available in Spanish.") if spanish else "")


@dataclass(frozen=True)
class LanguageLink:
    code: str
    name: str  # in its own language
    url: str
    current: bool


def language_links(current: str) -> list[LanguageLink]:
    """The language switch: a link per language that sets the cookie and comes back to this page."""
    here = request.full_path.rstrip("?") if request.query_string else request.path
    if len(here) > MAX_RETURN_PATH:  # a huge query is not worth echoing (and would not be followed back)
        here = request.path
    return [LanguageLink(code, LANGUAGE_NAMES.get(code, code), url_for("public.choose_language", code=code, next=here),
                         code == current)
            for code in current_app.config["LANGUAGES"]]
