"""Guidance: the checklist and the notes derived from one listing's own facts."""
from __future__ import annotations

import json
from datetime import date

import pytest

from directory import guidance
from directory.content import SEEDS_DIR

TODAY = date(2026, 11, 21)


def codes(listing) -> list[str]:
    return [note.code for note in guidance.notes_for(listing, TODAY)]


def test_unmoderated_forum_gets_the_medical_caution_first(make):
    forum = make.listing(delivery=["online"], online_mode="forum", moderation="unmoderated", service_area=["US"])
    notes = guidance.notes_for(forum, TODAY)
    assert notes[0].code == "unmoderated_medical_caution"
    assert notes[0].level == "caution"
    assert "medical" in notes[0].text.lower()


def test_moderated_message_board_still_is_no_source_of_medical_advice(make):
    board = make.listing(delivery=["online"], online_mode="chat", moderation="trained_peer")
    assert codes(board)[:2] == ["board_not_medical_advice", "peer_led"]


def test_screened_group_led_by_a_licensed_professional_says_so(make):
    group = make.listing(zip="60614", moderation="licensed_professional", membership="screened")
    assert "screened_professional" in codes(group)
    assert "led_by_professional" not in codes(group)


def test_missing_privacy_policy_says_to_ask(make):
    without = make.listing(delivery=["online"], online_mode="video", privacy_policy_url=None)
    with_policy = make.listing(delivery=["online"], online_mode="video",
                               privacy_policy_url="https://example.org/privacy")
    assert "privacy_policy_missing" in codes(without)
    assert "privacy_policy_listed" in codes(with_policy)
    assert "privacy_policy_missing" not in codes(with_policy)


def test_in_person_group_gets_no_online_notes(make):
    group = make.listing(zip="60614", delivery=["in_person"])
    found = codes(group)
    assert "in_person_visit" in found
    assert not {"privacy_policy_missing", "unmoderated_medical_caution", "recording_unknown"} & set(found)


def test_recording_and_anonymity_facts(make):
    recorded = make.listing(delivery=["online"], online_mode="video", records_sessions=True, anonymity_allowed=True)
    unknown = make.listing(delivery=["online"], online_mode="video", records_sessions=None)
    assert {"records_sessions", "anonymity_allowed"} <= set(codes(recorded))
    assert "recording_unknown" in codes(unknown)


def test_medical_advice_policy_is_quoted(make):
    item = make.listing(delivery=["online"], online_mode="forum", medical_advice_policy="We never give medical advice.")
    note = next(n for n in guidance.notes_for(item, TODAY) if n.code == "medical_advice_policy")
    assert "We never give medical advice." in note.text


def test_counselor_notes(make):
    counselor = make.listing(kind="counseling", session_format="one_on_one", moderation=None, membership=None,
                             license_type="psychologist", license_state="IL", accepting_clients=False,
                             delivery=["online", "in_person"], service_area=["IL", "WI"], zip="60614",
                             cost="insurance")
    found = codes(counselor)
    assert {"not_accepting_clients", "license_check", "telehealth_states", "ask_cost"} <= set(found)
    assert "moderation_unknown" not in found
    telehealth = next(n for n in guidance.notes_for(counselor, TODAY) if n.code == "telehealth_states")
    assert "IL, WI" in telehealth.text


@pytest.mark.parametrize("last_verified, expected", [
    (None, "not_yet_verified"),
    (date(2026, 1, 2), "verification_old"),
    (date(2026, 11, 1), None),
])
def test_freshness_notes(make, last_verified, expected, app):
    item = make.listing(zip="60614", last_verified=last_verified)
    with app.test_request_context():
        found = codes(item)
    freshness = [c for c in found if c in ("not_yet_verified", "verification_old")]
    assert freshness == ([expected] if expected else [])


def test_demo_listing_note(make):
    assert "demo_listing" in codes(make.listing(zip="60614", is_demo=True))
    assert "demo_listing" not in codes(make.listing(zip="60614", is_demo=False))


def test_short_notes_are_short_and_few(make):
    forum = make.listing(delivery=["online"], online_mode="forum", moderation="unmoderated", last_verified=None)
    short = guidance.short_notes_for(forum, TODAY)
    assert 1 <= len(short) <= guidance.SHORT_NOTES_ON_RESULTS
    assert short[0].code == "unmoderated_medical_caution"
    assert all(len(n.short) <= 90 for n in short)


def test_short_notes_keep_every_caution_a_late_one_included(make):
    # A counselor verified long ago gets license, telehealth and cost notes before the staleness caution.
    counselor = make.listing(kind="counseling", session_format="one_on_one", moderation=None, membership=None,
                             license_type="lcsw", license_state="IL", cost="insurance", delivery=["online"],
                             service_area=["IL", "WI"], last_verified=date(2026, 2, 8))
    assert codes(counselor).index("verification_old") >= guidance.SHORT_NOTES_ON_RESULTS
    short = [note.code for note in guidance.short_notes_for(counselor, TODAY)]
    assert short[0] == "verification_old" and len(short) == guidance.SHORT_NOTES_ON_RESULTS
    assert short[1:] == [c for c in codes(counselor) if c != "verification_old"][:2]  # the rest in their order


def test_each_stale_listing_names_its_own_date(make, app):
    # Notes are memoised (guidance._note): each listing must still get its own date.
    first = make.listing(zip="60614", last_verified=date(2026, 1, 2))
    second = make.listing(zip="60614", last_verified=date(2025, 7, 14))
    with app.test_request_context():
        notes = {item.id: next(n for n in guidance.notes_for(item, TODAY) if n.code == "verification_old")
                 for item in (first, second)}
    assert "Jan 2, 2026" in notes[first.id].short and "Jan 2, 2026" in notes[first.id].text
    assert "Jul 14, 2025" in notes[second.id].short and "Jul 14, 2025" in notes[second.id].text
    assert "{date}" not in notes[first.id].text
    with app.app_context(), app.test_request_context(headers={"Cookie": "lang=es"}):
        spanish = next(n for n in guidance.notes_for(first, TODAY) if n.code == "verification_old")
    assert "2 ene 2026" in spanish.short
    # and as the API gives them, chosen by their notes' levels and each made once
    with app.test_request_context():
        data = {item.id: guidance.short_notes_data(item, TODAY, "en") for item in (first, second, first)}
    assert {"code": "verification_old", "text": notes[first.id].short} in data[first.id]
    assert {"code": "verification_old", "text": notes[second.id].short} in data[second.id]


def test_every_note_in_the_seed_file_has_short_and_long_english_text():
    data = json.loads((SEEDS_DIR / "guidance.json").read_text())
    for code, words in data["notes"].items():
        assert words["short"]["en"] and words["text"]["en"], code
        assert len(words["short"]["en"].format(date="Sep 14, 2026", state="IL", states="IL", policy="x")) <= 90
    checklist_codes = [item["code"] for item in data["checklist"]]
    assert {"who_moderates", "privacy", "medical_information"} <= set(checklist_codes)


def test_checklist_covers_moderation_privacy_and_medical_advice(client):
    page = client.get("/guidance/online-groups").get_data(as_text=True)
    for item in guidance.checklist():
        assert item["title"].replace("'", "&#39;") in page
    assert "1-800-227-2345" in page


def test_listing_page_shows_panel_and_results_show_short_notes(client, make):
    forum = make.listing(delivery=["online"], online_mode="forum", moderation="unmoderated", service_area=["US"],
                         name="Night Owls Forum")
    page = client.get(f"/listings/{forum.id}").get_data(as_text=True)
    assert "Judging this listing" in page
    assert "Questions to ask any online group" in page
    results = client.get("/search?zip=60614").get_data(as_text=True)
    assert "Night Owls Forum" in results
    assert "Before you join" in results
    api = client.get("/api/v1/search?zip=60614").json["results"][0]
    assert api["guidance"][0]["code"] == "unmoderated_medical_caution"


@pytest.mark.parametrize("language", ["en", "es"])
def test_api_guidance_is_the_short_notes_as_data(make, app, language):
    listings = [
        make.listing(delivery=["online"], online_mode="forum", moderation="unmoderated", last_verified=None),
        make.listing(delivery=["online"], online_mode="video", moderation="trained_peer", records_sessions=None,
                     anonymity_allowed=True, medical_advice_policy="  No advice here.  "),
        make.listing(kind="counseling", session_format="one_on_one", moderation=None, membership=None,
                     license_type="lcsw", license_state="IL", cost="insurance", delivery=["online", "phone"],
                     service_area=["IL", "WI"], accepting_clients=False, last_verified=date(2026, 2, 8)),
        make.listing(zip="60614", delivery=["in_person"], session_format="group", is_demo=True),
    ]
    with app.test_request_context():
        for listing in listings:
            expected = [{"code": note.code, "text": note.short}
                        for note in guidance.short_notes_for(listing, TODAY, language)]
            assert guidance.short_notes_data(listing, TODAY, language) == expected
            assert guidance.short_notes_data(listing, TODAY, language) == expected  # and from the cache
