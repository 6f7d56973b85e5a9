"""Form posts for the listing, review and report tests: complete, valid values to start from."""
from __future__ import annotations


def support_group(**overrides) -> dict:
    """A weekly in-person and video support group in Chicago: everything a submission needs."""
    return {
        "name": "Hope Circle", "kind": "support_program", "session_format": "group",
        "delivery": ["in_person", "online"], "description": "A weekly circle for people in treatment.",
        "audience": ["patients", "caregivers"], "journey_stage": ["in_treatment"], "cancer_type": ["breast"],
        "languages": ["en", "es"], "moderation": "licensed_professional", "moderator_credentials": "Oncology social worker, LCSW",
        "membership": "open", "online_mode": "video", "privacy_policy_url": "https://example.org/privacy",
        "records_sessions": "no", "anonymity_allowed": "yes", "medical_advice_policy": "Medical questions go to your care team.",
        "cost": "free", "cost_details": "", "how_to_join": "Call to register.",
        "freq": "weekly", "byday": ["TU"], "week_of_month": "", "opens_at": "18:00", "closes_at": "19:30",
        "timezone": "America/Chicago",
        "address_1": "2430 N Lincoln Ave", "city": "Chicago", "state": "IL", "postal_code": "60614",
        "phone": "312-555-0100", "email": "hello@example.org", "url": "https://example.org/hope",
        **overrides,
    }


def counselor(**overrides) -> dict:
    """A psychologist seeing clients by video in two states, no office."""
    values = support_group(
        name="Riley Example, PhD", kind="counseling", session_format="one_on_one", delivery=["online"],
        moderation="", moderator_credentials="", membership="", online_mode="video", privacy_policy_url="",
        records_sessions="", anonymity_allowed="", medical_advice_policy="", cost="insurance",
        address_1="", city="", state="", postal_code="", freq="", byday=[], opens_at="", closes_at="", timezone="",
        license_type="psychologist", license_number="PSY-12345", license_state="IL",
        telehealth_states=["IL", "WI"], accepting_clients="yes")
    values.update(overrides)
    return values
