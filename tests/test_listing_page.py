"""The listing page and /api/v1/listings/<id>: everything a person needs to decide and get in touch."""
from __future__ import annotations

from datetime import time

import pytest


@pytest.fixture
def group(make):
    return make.listing(
        zip="60614", name="Tuesday Evening Circle", description="A group for people in treatment.",
        how_to_join="Call first; the facilitator will talk with you.", accessibility="Step-free entrance.",
        cost="sliding_scale", cost_details="Pay what you can.", languages=["en", "es"], url="https://example.org/circle",
        phones=[{"number": "(312) 555-0142", "type": "voice", "description": "Front desk"}],
        schedules=[
            {"freq": "WEEKLY", "byday": "TU", "opens_at": time(18, 0), "closes_at": time(19, 30),
             "timezone": "America/Chicago"},
            {"freq": "MONTHLY", "byday": "1TH", "opens_at": time(10, 0), "closes_at": time(11, 0)},
        ],
    )


def test_listing_page_has_what_a_person_needs(client, group):
    page = client.get(f"/listings/{group.id}").get_data(as_text=True)
    assert "Tuesday Evening Circle" in page
    assert "Every Tuesday, 6:00\u202fPM to 7:30\u202fPM" in page or "Every Tuesday, 6:00 PM to 7:30 PM" in page
    assert "Central" in page  # the time zone in words
    assert "The first Thursday of each month" in page
    assert "Call first; the facilitator will talk with you." in page
    assert "Step-free entrance." in page
    assert "Sliding scale" in page and "Pay what you can." in page
    assert "English, Spanish" in page
    assert 'href="tel:3125550142"' in page
    assert "openstreetmap.org" in page
    assert "Last verified" in page


def test_listing_api_detail(client, group):
    data = client.get(f"/api/v1/listings/{group.id}").json
    assert data["id"] == group.id
    assert data["schedules"][0]["byday"] == "TU"
    assert data["schedules"][0]["opens_at"] == "18:00"
    assert data["phones"][0]["number"] == "(312) 555-0142"
    assert data["locations"][0]["postal_code"] == "60614"
    assert {n["code"] for n in data["guidance"]} >= {"in_person_visit"}


@pytest.mark.parametrize("status", ["draft", "pending", "rejected", "archived"])
def test_unpublished_listing_is_not_found(client, make, status):
    hidden = make.listing(zip="60614", status=status)
    assert client.get(f"/listings/{hidden.id}").status_code == 404
    response = client.get(f"/api/v1/listings/{hidden.id}")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_markup_in_listing_text_is_escaped(client, make):
    item = make.listing(zip="60614", name="<script>alert(1)</script>", description="<img src=x onerror=alert(2)>")
    page = client.get(f"/listings/{item.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page


def test_counselor_listing_shows_license_and_openings(client, make):
    counselor = make.listing(kind="counseling", session_format="one_on_one", moderation=None, membership=None,
                             license_type="psychiatric_nurse_practitioner", license_number="DEMO-1",
                             license_state="IL", accepting_clients=True, zip="60614",
                             delivery=["in_person", "online"], service_area=["IL", "IN"])
    page = client.get(f"/listings/{counselor.id}").get_data(as_text=True)
    assert "Psychiatric nurse practitioner" in page
    assert "Accepting new clients" in page
    assert "IL, IN" in page
