"""Caseworker referral packets: ownership, hand-off (print, share link, .ics), privacy, purge, hostile input."""
from __future__ import annotations

import logging
import re
from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

from directory.extensions import db
from directory.models import AuditEvent, ReferralItem, ReferralPacket, utcnow
from directory.referrals import service

SENTINEL = "ZQX-SENTINEL-77"
CASEWORKER_NOTE = "caseworker-only note: lives alone, prefers mornings"
STATUS_NOTE = "status-note-private-123"
CLIENT_NOTE = "Ask for Maria; the first visit is free."


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def post(client, auth, path, data, form_page="/referrals/new"):
    return client.post(path, data={**data, "csrf_token": auth.csrf_token(form_page)})


@pytest.fixture
def caseworker(make, auth):
    user = make.user("caseworker")
    auth.login(user.email)
    return user


def weekly_listing(make, **overrides):
    return make.listing(zip="60614", name=overrides.pop("name", "Tuesday Circle, Chicago"),
                        phones=[{"number": "312-555-0100"}],
                        schedules=[{"freq": "WEEKLY", "byday": "TU", "opens_at": time(18, 0), "closes_at": time(19, 30),
                                    "timezone": "America/Chicago"}], **overrides)


def packet_with_items(make, owner, *, reference="JR-0412", listings=(), **fields):
    packet = ReferralPacket(caseworker_id=owner.id, client_reference=reference, client_language="en", **fields)
    db.session.add(packet)
    for listing in listings:
        packet.items.append(ReferralItem(listing_id=listing.id, note_for_client=CLIENT_NOTE, status_note=STATUS_NOTE))
    db.session.commit()
    return packet


# -- ownership ---------------------------------------------------------------------------------------

def _routes(packet_id: int, item_id: int) -> list[tuple[str, str]]:
    return [
        ("get", f"/referrals/{packet_id}"),
        ("get", f"/referrals/{packet_id}/print"),
        ("get", f"/referrals/{packet_id}/items/{item_id}/meetings.ics"),
        ("post", f"/referrals/{packet_id}/delete"),
        ("post", f"/referrals/{packet_id}/share"),
        ("post", f"/referrals/{packet_id}/share/revoke"),
        ("post", f"/referrals/{packet_id}/items/{item_id}"),
        ("post", f"/referrals/{packet_id}/items/{item_id}/remove"),
    ]


@pytest.mark.parametrize("index", range(len(_routes(1, 1))))
def test_another_caseworker_gets_404_on_every_packet_route(client, auth, make, index):
    owner = make.user("caseworker")
    packet = packet_with_items(make, owner, reference=SENTINEL, listings=[weekly_listing(make)])
    item_id = packet.items[0].id
    intruder = make.user("caseworker")
    auth.login(intruder.email)
    method, path = _routes(packet.id, item_id)[index]
    data = {"csrf_token": auth.csrf_token("/referrals/new"), "item-%d-status" % item_id: "connected"}
    response = client.get(path) if method == "get" else client.post(path, data=data)
    assert response.status_code == 404
    assert SENTINEL not in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    db.session.refresh(packet)
    assert packet.items[0].status == "pending" and packet.share_token is None


def test_another_caseworker_cannot_add_to_a_packet_nor_see_it_listed(client, auth, make):
    owner = make.user("caseworker")
    packet = packet_with_items(make, owner, reference=SENTINEL)
    listing = weekly_listing(make)
    auth.login(make.user("caseworker").email)
    response = post(client, auth, "/referrals/items", {"packet_id": packet.id, "listing_id": listing.id})
    assert response.status_code == 404 and count(ReferralItem) == 0
    for page in ("/referrals/", f"/listings/{listing.id}", "/search?zip=60614"):
        assert SENTINEL not in client.get(page).get_data(as_text=True), page


@pytest.mark.parametrize("role, expected", [("coordinator", 403), ("moderator", 403), ("admin", 403),
                                            (None, 302)])
def test_only_approved_caseworkers_reach_referral_pages(client, auth, make, role, expected):
    packet = packet_with_items(make, make.user("caseworker"))
    if role:
        auth.login(make.user(role).email)
    for path in ("/referrals/", "/referrals/new", f"/referrals/{packet.id}", f"/referrals/{packet.id}/print"):
        response = client.get(path)
        assert response.status_code == expected, path
        assert response.headers["Cache-Control"] == "no-store"


def test_a_caseworker_waiting_for_approval_is_kept_out(client, auth, make):
    auth.login(make.user("caseworker", approved=False).email)
    assert client.get("/referrals/").status_code == 403


# -- building a packet -------------------------------------------------------------------------------

def test_build_a_packet_from_search_results_and_come_back_to_the_search(client, auth, make, caseworker):
    first, second = weekly_listing(make), weekly_listing(make, name="Second Circle")
    search = "/search?zip=60614&radius=10"
    page = client.get(search).get_data(as_text=True)
    assert "Start a referral packet" in page
    response = post(client, auth, "/referrals/new", {"client_reference": SENTINEL, "client_language": "es",
                                                     "notes": CASEWORKER_NOTE, "next": search})
    assert response.status_code == 302 and response.headers["Location"] == search
    packet = db.session.scalar(select(ReferralPacket))
    page = client.get(search).get_data(as_text=True)
    assert 'action="/referrals/items"' in page and f'value="{packet.id}"' in page
    for listing in (first, second):
        response = post(client, auth, "/referrals/items", {"packet_id": packet.id, "listing_id": listing.id,
                                                           "next": search}, form_page=search)
        assert response.status_code == 303 and response.headers["Location"] == search
    assert [item.listing_id for item in db.session.scalars(select(ReferralItem))] == [first.id, second.id]
    again = post(client, auth, "/referrals/items", {"packet_id": packet.id, "listing_id": first.id, "next": search})
    assert again.status_code == 303 and count(ReferralItem) == 2
    assert "already in this packet" in client.get(search).get_data(as_text=True)
    page = client.get(f"/referrals/{packet.id}").get_data(as_text=True)
    assert SENTINEL in page and CASEWORKER_NOTE in page and "Tuesday Circle" in page


def test_add_from_a_listing_page(client, auth, make, caseworker):
    listing = weekly_listing(make)
    packet = packet_with_items(make, caseworker)
    page = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert "Add to packet" in page
    response = post(client, auth, "/referrals/items", {"packet_id": packet.id, "listing_id": listing.id,
                                                       "next": f"/listings/{listing.id}"})
    assert response.headers["Location"] == f"/listings/{listing.id}" and count(ReferralItem) == 1


def test_status_changes_are_dated_and_the_dashboard_puts_overdue_items_first(client, auth, make, caseworker):
    fresh, old = weekly_listing(make), weekly_listing(make, name="Old Circle")
    packet = packet_with_items(make, caseworker, listings=[fresh, old])
    packet.items[1].status_changed_at = utcnow() - timedelta(days=8)
    db.session.commit()
    page = client.get("/referrals/").get_data(as_text=True)
    awaiting = page[page.index("awaiting-heading"):page.index("packets-heading")]
    assert "Old Circle" in awaiting and "Tuesday Circle" not in awaiting
    item = packet.items[1]
    response = post(client, auth, f"/referrals/{packet.id}/items/{item.id}",
                    {f"item-{item.id}-status": "connected", f"item-{item.id}-status_note": "went Tuesday",
                     f"item-{item.id}-note_for_client": CLIENT_NOTE})
    assert response.status_code == 302 and "/referrals/" in response.headers["Location"]
    db.session.refresh(item)
    assert item.status == "connected" and item.status_changed_at > utcnow() - timedelta(minutes=1)
    assert "Old Circle" not in client.get("/referrals/").get_data(as_text=True).split("packets-heading")[0]


def test_remove_item_and_delete_packet(client, auth, make, caseworker):
    packet = packet_with_items(make, caseworker, listings=[weekly_listing(make), weekly_listing(make)])
    packet_id, item_id = packet.id, packet.items[0].id
    assert post(client, auth, f"/referrals/{packet_id}/items/{item_id}/remove", {}).status_code == 302
    assert count(ReferralItem) == 1
    assert post(client, auth, f"/referrals/{packet_id}/delete", {}).status_code == 302
    assert count(ReferralPacket) == 0 and count(ReferralItem) == 0
    assert client.get(f"/referrals/{packet_id}").status_code == 404


# -- bad input ---------------------------------------------------------------------------------------

BAD_PACKETS = [
    ({"client_reference": "Maria Gonzalez"}, "client_reference"),
    ({"client_reference": ""}, "client_reference"),
    ({"client_reference": "A" * 5000}, "client_reference"),
    ({"client_reference": "<script>alert(1)</script>"}, "client_reference"),
    ({"client_reference": "x'; DROP TABLE referral_packet;--"}, "client_reference"),
    ({"client_reference": "JR\u00e9"}, "client_reference"),
    ({"client_language": "xx"}, "client_language"),
    ({"client_language": "<b>"}, "client_language"),
    ({"notes": "n" * 5000}, "notes"),
    ({"notes": "bad\x00control"}, "notes"),
]


@pytest.mark.parametrize("values, field", BAD_PACKETS)
def test_bad_packet_input_gets_a_clear_message_and_writes_nothing(client, auth, caseworker, values, field):
    data = {"client_reference": "JR-0412", "client_language": "en", "notes": "", **values}
    response = post(client, auth, "/referrals/new", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(rf'<p class="field-error" id="{field}-error">[^<]+</p>', page), page
    assert "<script>alert(1)</script>" not in page
    assert count(ReferralPacket) == 0
    assert not db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "referral_packet")).all()


BAD_ITEMS = [
    ("status", "unknown_status"), ("status", ""), ("status", "<script>"),
    ("note_for_client", "x" * 301), ("note_for_client", "x" * 100_000), ("note_for_client", "a\x07b"),
    ("status_note", "y" * 501), ("status_note", "\x1b[31m"),
]


@pytest.mark.parametrize("name, value", BAD_ITEMS)
def test_bad_item_input_gets_a_clear_message_and_writes_nothing(client, auth, make, caseworker, name, value):
    packet = packet_with_items(make, caseworker, listings=[weekly_listing(make)])
    item = packet.items[0]
    data = {f"item-{item.id}-status": "connected", f"item-{item.id}-note_for_client": "ok",
            f"item-{item.id}-status_note": "", f"item-{item.id}-{name}": value}
    response = post(client, auth, f"/referrals/{packet.id}/items/{item.id}", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(rf'<p class="field-error" id="item-{item.id}-{name}-error">[^<]+</p>', page)
    assert "<script>" not in page and len(page) < 50_000  # markup shown as text; a huge value not echoed whole
    db.session.refresh(item)
    assert (item.status, item.note_for_client, item.status_note) == ("pending", CLIENT_NOTE, STATUS_NOTE)


@pytest.mark.parametrize("data", [
    {"packet_id": "abc"}, {"packet_id": ""}, {"packet_id": "99999999999999999999"},
    {"listing_id": "abc"}, {"listing_id": "999999"}, {"listing_id": "<script>"},
])
def test_bad_add_requests_are_refused(client, auth, make, caseworker, data):
    packet = packet_with_items(make, caseworker)
    listing = weekly_listing(make)
    response = post(client, auth, "/referrals/items", {"packet_id": packet.id, "listing_id": listing.id, **data})
    assert 400 <= response.status_code < 500 and count(ReferralItem) == 0


def test_unpublished_listings_cannot_be_added(client, auth, make, caseworker):
    packet = packet_with_items(make, caseworker)
    draft = make.listing(status="draft")
    response = post(client, auth, "/referrals/items", {"packet_id": packet.id, "listing_id": draft.id})
    assert response.status_code == 404 and count(ReferralItem) == 0


def test_posts_without_csrf_are_refused(client, make, caseworker):
    packet = packet_with_items(make, caseworker)
    assert client.post(f"/referrals/{packet.id}/delete").status_code == 400
    assert client.post("/referrals/new", data={"client_reference": "AB", "client_language": "en"}).status_code == 400
    assert count(ReferralPacket) == 1


# -- hand-off ----------------------------------------------------------------------------------------

def test_print_view_is_in_the_clients_language_with_contact_schedule_and_guidance(client, make, caseworker):
    listing = weekly_listing(make, how_to_join="Call first.", delivery=["online"], moderation="unmoderated",
                             online_mode="forum")
    packet = packet_with_items(make, caseworker, listings=[listing], notes=CASEWORKER_NOTE)
    packet.client_language = "es"
    db.session.commit()
    page = client.get(f"/referrals/{packet.id}/print").get_data(as_text=True)
    assert '<html lang="es">' in page
    assert "312-555-0100" in page and "Call first." in page and CLIENT_NOTE in page
    assert "martes" in page.lower()  # the schedule in words, in Spanish
    assert CASEWORKER_NOTE not in page and STATUS_NOTE not in page
    # the caseworker's own pages stay in their language
    assert '<html lang="en">' in client.get(f"/referrals/{packet.id}").get_data(as_text=True)


def test_share_link_works_logged_out_and_leaks_no_notes(client, auth, make, caseworker, app):
    packet = packet_with_items(make, caseworker, reference=SENTINEL, listings=[weekly_listing(make)],
                               notes=CASEWORKER_NOTE)
    assert post(client, auth, f"/referrals/{packet.id}/share", {}).status_code == 302
    db.session.refresh(packet)
    token = packet.share_token
    assert len(token) >= 40
    assert packet.share_expires_at - utcnow() > timedelta(days=29)
    anonymous = app.test_client()
    response = anonymous.get(f"/referrals/shared/{token}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert CLIENT_NOTE in page and "Tuesday Circle" in page
    assert CASEWORKER_NOTE not in page and STATUS_NOTE not in page and "Waiting to hear" not in page
    ics = anonymous.get(f"/referrals/shared/{token}/items/{packet.items[0].id}/meetings.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"


def test_revoked_expired_and_unknown_share_links(client, auth, make, caseworker, app):
    packet = packet_with_items(make, caseworker)
    token = service.create_share_link(caseworker, packet)
    anonymous = app.test_client()
    assert anonymous.get(f"/referrals/shared/{token}").status_code == 200
    assert post(client, auth, f"/referrals/{packet.id}/share/revoke", {}).status_code == 302
    response = anonymous.get(f"/referrals/shared/{token}")
    assert response.status_code == 410 and response.headers["Cache-Control"] == "no-store"
    token = service.create_share_link(caseworker, packet, now=utcnow() - timedelta(days=31))
    assert anonymous.get(f"/referrals/shared/{token}").status_code == 410
    assert anonymous.get("/referrals/shared/not-a-real-token").status_code == 404
    assert anonymous.get("/referrals/shared/" + "x" * 500).status_code == 404


def test_ics_is_valid_rfc5545(client, make, caseworker):
    packet = packet_with_items(make, caseworker, listings=[weekly_listing(make, name="Circle; with, commas")])
    response = client.get(f"/referrals/{packet.id}/items/{packet.items[0].id}/meetings.ics")
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    lines = text.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR" and lines[-1] == ""
    assert "VERSION:2.0" in lines and any(line.startswith("PRODID:") for line in lines)
    assert "RRULE:FREQ=WEEKLY;BYDAY=TU" in lines
    assert "BEGIN:VTIMEZONE" in lines and "TZID:America/Chicago" in lines
    start = next(line for line in lines if line.startswith("DTSTART;TZID=America/Chicago:"))
    assert re.fullmatch(r"DTSTART;TZID=America/Chicago:\d{8}T180000", start)
    assert "DTEND;TZID=America/Chicago:" + start.split(":")[1][:8] + "T193000" in lines
    assert "SUMMARY:Circle\\; with\\, commas" in lines
    assert all(len(line.encode()) <= 75 for line in lines)


def test_no_ics_without_a_schedule(client, make, caseworker):
    packet = packet_with_items(make, caseworker, listings=[make.listing()])
    assert client.get(f"/referrals/{packet.id}/items/{packet.items[0].id}/meetings.ics").status_code == 404


def test_monthly_schedule_next_meeting():
    from datetime import date

    from directory.models import Schedule
    from directory.referrals.ics import next_meeting

    schedule = Schedule(freq="MONTHLY", byday="1TH")
    assert next_meeting(schedule, date(2026, 3, 6)) == date(2026, 4, 2)
    assert next_meeting(Schedule(freq="MONTHLY", byday="-1FR"), date(2026, 3, 1)) == date(2026, 3, 27)


# -- privacy -----------------------------------------------------------------------------------------

def test_the_client_reference_never_reaches_logs_audit_or_urls(client, auth, make, caseworker, caplog, app):
    caplog.set_level(logging.DEBUG)
    listing = weekly_listing(make)
    search = "/search?zip=60614"
    response = post(client, auth, "/referrals/new", {"client_reference": SENTINEL, "client_language": "en",
                                                     "notes": CASEWORKER_NOTE})
    locations = [response.headers["Location"]]
    packet = db.session.scalar(select(ReferralPacket))
    locations.append(post(client, auth, "/referrals/items", {"packet_id": packet.id, "listing_id": listing.id,
                                                             "next": search}).headers["Location"])
    locations.append(post(client, auth, f"/referrals/{packet.id}/share", {}).headers["Location"])
    db.session.refresh(packet)
    pages = [client.get(path).get_data(as_text=True) for path in
             ("/referrals/", f"/referrals/{packet.id}", f"/referrals/{packet.id}/print", search)]
    pages.append(app.test_client().get(f"/referrals/shared/{packet.share_token}").get_data(as_text=True))
    item = packet.items[0]
    locations.append(post(client, auth, f"/referrals/{packet.id}/items/{item.id}",
                          {f"item-{item.id}-status": "contacted"}).headers["Location"])
    packet_id = packet.id
    locations.append(post(client, auth, f"/referrals/{packet_id}/delete", {}).headers["Location"])

    assert all(SENTINEL not in location for location in locations)
    for page in pages:
        for url in re.findall(r'(?:href|action|src)="([^"]*)"', page):
            assert SENTINEL not in url
    assert SENTINEL in pages[1]  # it is in the page body, where it belongs
    for record in caplog.records:
        assert SENTINEL not in record.getMessage() and CASEWORKER_NOTE not in record.getMessage()
    events = list(db.session.scalars(select(AuditEvent)))
    assert {e.action for e in events} >= {"referral.created", "referral.viewed", "referral.shared",
                                          "referral.deleted", "referral.share_viewed"}
    for event in events:
        assert SENTINEL not in repr(vars(event))
    assert SENTINEL not in repr(ReferralPacket(id=packet_id, client_reference=SENTINEL))


# -- purge -------------------------------------------------------------------------------------------

def test_purge_deletes_old_packets_only_and_keeps_the_audit_trail(runner, make):
    owner = make.user("caseworker")
    listing = weekly_listing(make)
    old = packet_with_items(make, owner, reference="OLD", listings=[listing])
    old.created_at = utcnow() - timedelta(days=100)
    recent = packet_with_items(make, owner, reference="NEW", listings=[listing])
    recent.created_at = utcnow() - timedelta(days=10)
    db.session.add(AuditEvent(actor_id=owner.id, action="referral.created", object_type="referral_packet",
                              object_id=old.id))
    db.session.commit()
    old_id, recent_id = old.id, recent.id

    result = runner.invoke(args=["purge-referrals", "--older-than-days", "90"])
    assert result.exit_code == 0 and "Deleted 1 referral packets and 1 items" in result.output
    db.session.expire_all()
    assert db.session.get(ReferralPacket, old_id) is None and db.session.get(ReferralPacket, recent_id) is not None
    assert count(ReferralItem) == 1
    actions = {(e.action, e.object_id) for e in db.session.scalars(select(AuditEvent))}
    assert ("referral.created", old_id) in actions and ("referral.purged", old_id) in actions

    again = runner.invoke(args=["purge-referrals", "--older-than-days", "90"])
    assert again.exit_code == 0 and "Deleted 0 referral packets" in again.output
    for bad in ("0", "-3", "abc"):
        assert runner.invoke(args=["purge-referrals", "--older-than-days", bad]).exit_code != 0
    assert count(ReferralPacket) == 1


# -- flags for coordinators and moderators -----------------------------------------------------------

def test_a_listing_several_caseworkers_cannot_reach_is_flagged_with_counts_only(client, auth, make):
    coordinator = make.user("coordinator")
    listing = weekly_listing(make, organization=coordinator.organization, name="Hard To Reach Circle")
    for n, status in enumerate(["could_not_reach", "no_capacity", "could_not_reach"]):
        packet = packet_with_items(make, make.user("caseworker"), reference=f"FLAG{n}", listings=[listing])
        packet.items[0].status = status
    db.session.commit()
    assert service.unreachable_counts() == {listing.id: 3}
    auth.login(coordinator.email)
    page = client.get("/coordinator/").get_data(as_text=True)
    assert "Hard To Reach Circle" in page and "3 caseworkers" in page and "FLAG0" not in page
    assert STATUS_NOTE not in page
    auth.logout()
    auth.login(make.user("moderator").email)
    page = client.get("/moderation/").get_data(as_text=True)
    assert "Hard To Reach Circle" in page and "3 caseworkers" in page and "FLAG1" not in page


def test_two_caseworkers_or_one_caseworker_three_times_is_no_flag(make):
    listing = weekly_listing(make)
    one = make.user("caseworker")
    for n in range(3):
        packet = packet_with_items(make, one, reference=f"S{n}", listings=[listing])
        packet.items[0].status = "could_not_reach"
    packet = packet_with_items(make, make.user("caseworker"), listings=[listing])
    packet.items[0].status = "no_capacity"
    db.session.commit()
    assert service.unreachable_counts() == {}
    assert service.unreachable_counts([listing.id], threshold=2) == {listing.id: 2}
