"""An iCalendar (RFC 5545) file for a listing's regular meetings, written by hand (no dependency).

One VEVENT per schedule with a weekday rule: DTSTART is the next meeting, in the
schedule's time zone (TZID, with a VTIMEZONE built from zoneinfo), and an RRULE
repeats it as the schedule says.
"""
from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..models import Listing, Schedule
from ..presenters import BYDAY_RE, DAY_INDEX

PRODID = "-//Support Directory//Referrals//EN"


def escape_text(value: str) -> str:
    """TEXT values: backslash, semicolon, comma and newlines escaped (RFC 5545 3.3.11)."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    value = value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")
    return "".join(ch for ch in value if ch == "\t" or ord(ch) >= 32 and ord(ch) != 127)


def fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (never splitting a character)."""
    out, current = [], b""
    for ch in line:
        encoded = ch.encode("utf-8")
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current.decode("utf-8"))
            current = b""
        current += encoded
    out.append(current.decode("utf-8"))
    return "\r\n ".join(out)


def _rules(schedule: Schedule) -> list[tuple[int | None, int]]:
    """[(week of month or None, weekday index)] from the schedule's byday."""
    rules = []
    for token in (t.strip() for t in (schedule.byday or "").split(",") if t.strip()):
        match = BYDAY_RE.match(token)
        if match:
            ordinal, day = match.groups()
            rules.append((int(ordinal) if ordinal else None, DAY_INDEX[day]))
    return rules


def _nth_weekday(year: int, month: int, nth: int, weekday: int) -> date | None:
    days = [d for d in calendar.Calendar().itermonthdates(year, month) if d.month == month and d.weekday() == weekday]
    try:
        return days[nth - 1] if nth > 0 else days[nth]
    except IndexError:
        return None


def next_meeting(schedule: Schedule, today: date) -> date | None:
    rules = _rules(schedule)
    if not rules:
        return None
    for offset in range(0, 400):
        day = today + timedelta(days=offset)
        for nth, weekday in rules:
            if day.weekday() != weekday:
                continue
            if schedule.freq != "MONTHLY" or nth is None or _nth_weekday(day.year, day.month, nth, weekday) == day:
                return day
    return None


def _offset(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def vtimezone(zone_name: str, year: int) -> list[str]:
    """A VTIMEZONE for this year's offsets: STANDARD and, where clocks change, DAYLIGHT (US rules)."""
    zone = ZoneInfo(zone_name)
    winter = datetime(year, 1, 15, tzinfo=zone)
    summer = datetime(year, 7, 15, tzinfo=zone)
    std, dst = winter.utcoffset(), summer.utcoffset()
    lines = ["BEGIN:VTIMEZONE", f"TZID:{zone_name}"]
    if std == dst:
        lines += ["BEGIN:STANDARD", "DTSTART:19700101T000000", f"TZOFFSETFROM:{_offset(std)}",
                  f"TZOFFSETTO:{_offset(std)}", f"TZNAME:{escape_text(winter.tzname() or zone_name)}",
                  "END:STANDARD"]
    else:
        lines += ["BEGIN:DAYLIGHT", "DTSTART:19700308T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU",
                  f"TZOFFSETFROM:{_offset(std)}", f"TZOFFSETTO:{_offset(dst)}",
                  f"TZNAME:{escape_text(summer.tzname() or zone_name)}", "END:DAYLIGHT",
                  "BEGIN:STANDARD", "DTSTART:19701101T020000", "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU",
                  f"TZOFFSETFROM:{_offset(dst)}", f"TZOFFSETTO:{_offset(std)}",
                  f"TZNAME:{escape_text(winter.tzname() or zone_name)}", "END:STANDARD"]
    return lines + ["END:VTIMEZONE"]


def _stamp(value: date, at: time) -> str:
    return datetime.combine(value, at).strftime("%Y%m%dT%H%M%S")


def calendar_for(listing: Listing, now: datetime, description: str = "") -> str | None:
    """The .ics text for the listing's schedules with a weekday rule, or None when it has none."""
    events, zones = [], []
    location = listing.locations[0].one_line if listing.locations else ""
    for schedule in listing.schedules:
        if schedule.freq not in ("WEEKLY", "MONTHLY"):
            continue
        zone_name = schedule.timezone
        try:
            if zone_name:
                ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            zone_name = None
        today = now.astimezone(ZoneInfo(zone_name)).date() if zone_name else now.date()
        first = next_meeting(schedule, today)
        if first is None:
            continue
        starts = schedule.opens_at or time(0, 0)
        tzid = f";TZID={zone_name}" if zone_name else ""
        days = ",".join(t.strip() for t in schedule.byday.split(",") if t.strip())
        rrule = f"RRULE:FREQ={schedule.freq};BYDAY={days}"
        if schedule.interval and schedule.interval > 1:
            rrule += f";INTERVAL={schedule.interval}"
        event = ["BEGIN:VEVENT", f"UID:{schedule.hsds_id}@support-directory",
                 f"DTSTAMP:{now.strftime('%Y%m%dT%H%M%SZ')}", f"DTSTART{tzid}:{_stamp(first, starts)}"]
        if schedule.opens_at and schedule.closes_at and schedule.closes_at > schedule.opens_at:
            event.append(f"DTEND{tzid}:{_stamp(first, schedule.closes_at)}")
        event += [rrule, f"SUMMARY:{escape_text(listing.name)}"]
        if location:
            event.append(f"LOCATION:{escape_text(location)}")
        if description:
            event.append(f"DESCRIPTION:{escape_text(description)}")
        if listing.url:
            event.append(f"URL:{''.join(ch for ch in listing.url if ch.isprintable() and not ch.isspace())}")
        events += event + ["END:VEVENT"]
        if zone_name and zone_name not in zones:
            zones.append(zone_name)
    if not events:
        return None
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
    for zone_name in zones:
        lines += vtimezone(zone_name, now.year)
    lines += events + ["END:VCALENDAR"]
    return "\r\n".join(fold(line) for line in lines) + "\r\n"
