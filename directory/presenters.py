"""Display helpers shared by templates and the JSON API (words, not logic)."""
from __future__ import annotations

import re
from datetime import datetime, time
from functools import lru_cache
from urllib.parse import urlencode

from babel.dates import get_day_names, get_timezone_name
from flask import request, url_for
from flask_babel import format_date, format_decimal, format_time, get_locale, get_translations
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from . import freshness, vocabulary
from .content import current_language, localized
from .i18n import day_in_words, language_links
from .models import Listing, Location, Schedule

HELPLINE_NUMBER = "1-800-227-2345"
DAY_INDEX = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}
ORDINALS = {1: _l("first"), 2: _l("second"), 3: _l("third"), 4: _l("fourth"), 5: _l("fifth"), -1: _l("last")}
BYDAY_RE = re.compile(r"^(-?\d)?(MO|TU|WE|TH|FR|SA|SU)$")


def _day_name(code: str) -> str:
    return get_day_names("wide", locale=get_locale())[DAY_INDEX[code]]


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return _("%(first)s and %(last)s", first=", ".join(items[:-1]), last=items[-1])


def _days_in_words(byday: str, monthly: bool) -> str:
    parts = []
    for token in (t.strip() for t in byday.split(",") if t.strip()):
        match = BYDAY_RE.match(token)
        if not match:
            continue
        ordinal, day = match.groups()
        if ordinal and monthly and int(ordinal) in ORDINALS:
            parts.append(_("the %(ordinal)s %(day)s", ordinal=ORDINALS[int(ordinal)], day=_day_name(day)))
        else:
            parts.append(_day_name(day))
    return _join(parts)


def schedule_in_words(schedule: Schedule) -> str:
    """'Every Tuesday, 6:00 PM – 7:30 PM (Central Time)' or 'The first Thursday of each month, …'."""
    if schedule.description and not schedule.byday:
        return schedule.description
    monthly = schedule.freq == "MONTHLY"
    days = _days_in_words(schedule.byday or "", monthly)
    if monthly:
        when = _("%(days)s of each month", days=days) if days else _("Monthly")
    elif schedule.interval and schedule.interval > 1:
        when = _("Every %(n)s weeks on %(days)s", n=schedule.interval, days=days)
    else:
        when = _("Every %(days)s", days=days) if days else _("Weekly")
    when = when[:1].upper() + when[1:]
    if schedule.opens_at and schedule.closes_at:
        when += ", " + _("%(start)s to %(end)s", start=_time(schedule.opens_at), end=_time(schedule.closes_at))
    elif schedule.opens_at:
        when += ", " + _("from %(start)s", start=_time(schedule.opens_at))
    if schedule.timezone:
        try:
            when += f" ({get_timezone_name(schedule.timezone, width='long', locale=get_locale())})"
        except LookupError:
            when += f" ({schedule.timezone})"
    return when


def _time(value: time) -> str:
    return format_time(datetime.combine(datetime(2000, 1, 1), value), "short", rebase=False)


def miles(distance: float | None, language: str | None = None) -> str:
    """A distance in words ("3.2 miles"), remembered per language and tenth of a mile."""
    if distance is None:
        return ""
    language = language or current_language()
    if distance < 0.1:
        return _remember((language, "miles", None), lambda: _("less than 0.1 miles"))
    tenths = round(distance, 1)
    return _remember((language, "miles", tenths), lambda: _("%(n)s miles", n=format_decimal(tenths, format="#,##0.0")))


def verified_text(listing: Listing, language: str | None = None) -> str:
    """When the listing was last confirmed, in the reader's language (`language`, if the caller has it)."""
    language, day = language or current_language(), listing.last_verified
    if day is None:
        return _remember((language, "verified", None), lambda: _("Not yet verified"))
    return _remember((language, "verified", day),
                     lambda: _("Last verified %(date)s", date=day_in_words(day, language)))


def map_url(location: Location) -> str:
    """A map link that needs no JavaScript or API key."""
    query = urlencode({"mlat": f"{location.latitude:.5f}", "mlon": f"{location.longitude:.5f}"})
    return f"https://www.openstreetmap.org/?{query}#map=15/{location.latitude:.5f}/{location.longitude:.5f}"


def tel_href(number: str) -> str:
    digits = re.sub(r"[^\d+]", "", number)
    return f"tel:{digits}"


# Words by (language, what): a results page asks for some 200 translations and labels, and flask_babel
# looks up the request's translations anew for each. Keyed on the language of get_locale(), so
# force_locale (a referral sheet in the client's language) still works: `make` runs in that locale.
_WORDS: dict[tuple, object] = {}
_WORDS_MAX = 20_000  # msgids, codes, tenths of a mile and days are few; this bounds text passed in as a variable


def _remember(key: tuple, make):
    found = _WORDS.get(key)
    if found is None:
        if len(_WORDS) >= _WORDS_MAX:
            _WORDS.clear()
        found = _WORDS[key] = make()
    return found


def _template_gettext(text: str) -> str:
    return _remember((current_language(), text), lambda: get_translations().ugettext(text))


def label(field: str, code: str | None, language: str | None = None) -> str:
    """vocabulary.label, remembered per language (`language` is the reader's, if the caller has it)."""
    if code is None:
        return ""
    return _remember((language or current_language(), field, code), lambda: vocabulary.label(field, code))


def labels(field: str, codes: list[str], language: str | None = None) -> str:
    language = language or current_language()
    return ", ".join([label(field, code, language) for code in codes])


def choices(field: str, language: str | None = None) -> tuple[tuple[str, str], ...]:
    """A vocabulary field's (code, label) pairs, in its order, for a form's options (remembered per language)."""
    return _remember((language or current_language(), "choices", field),
                     lambda: tuple((code, str(text)) for code, text in vocabulary.ALL_FIELDS[field].items()))


@lru_cache(maxsize=64)
def _listing_url_prefix(_root: tuple, external: bool) -> str:
    example = url_for("public.listing", listing_id=0, _external=external)  # in a request under this root
    assert example.endswith("/0"), example
    return example[:-1]


def listing_url_prefix(external: bool = False) -> str:
    """A listing's URL (a path, or with `external` the whole URL) up to its id, for this request, made once per
    URL root: a page of results needs 20 such URLs, and routing builds each in several microseconds.

    The root is what the request says of it, raw (request.url_root would check and quote the host anew for
    each request); url_for, on the first request with that root, does the checking."""
    environ = request.environ
    root = (request.scheme, environ.get("HTTP_HOST"), environ.get("SERVER_NAME"), environ.get("SERVER_PORT"),
            request.root_path)
    return _listing_url_prefix(root, external)


def register(app) -> None:
    app.jinja_env.install_gettext_callables(  # flask_babel's, with _template_gettext for gettext
        gettext=_template_gettext,
        ngettext=lambda s, p, n: get_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: get_translations().unpgettext(c, s, p, n),
    )
    app.jinja_env.globals.update(
        vocab=vocabulary, label=label, labels=labels, choices=choices, schedule_in_words=schedule_in_words,
        verified_text=verified_text, map_url=map_url, tel_href=tel_href,
        HELPLINE_NUMBER=HELPLINE_NUMBER, get_locale=get_locale, url_with=url_with,
        listing_status_label=lambda code: str(vocabulary.LISTING_STATUS_LABELS.get(code, code)),
        home_for=_home_for,
        role_label=lambda code: str(vocabulary.ROLE_LABELS.get(code, code)),
        localized=localized, language_links=language_links,
        listing_is_stale=freshness.is_stale, format_date=format_date,
    )


def url_with(**changes) -> str:
    """The current page's URL with some query parameters replaced (for pagination and suggestions)."""
    from flask import request

    args = request.args.copy()
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        elif isinstance(value, (list, tuple)):
            args.setlist(key, [str(v) for v in value])
        else:
            args[key] = str(value)
    return request.path + ("?" + urlencode(list(args.items(multi=True))) if args else "")


def _home_for(user) -> str:
    from .accounts.views import home_for

    return home_for(user)
