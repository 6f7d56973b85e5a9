"""Listings as JSON for /api/v1 (one shape for search results and listing pages)."""
from __future__ import annotations

from flask import url_for

from .. import guidance
from ..geo import Centroid
from ..models import Listing, Location
from ..presenters import schedule_in_words


def location_dict(location: Location | None) -> dict | None:
    if location is None:
        return None
    return {
        "name": location.name, "address_1": location.address_1, "city": location.city,
        "state": location.state, "postal_code": location.postal_code,
        "latitude": location.latitude, "longitude": location.longitude,
    }


def center_dict(center: Centroid | None) -> dict | None:
    if center is None:
        return None
    return {"zip": center.zip, "lat": center.lat, "lon": center.lon, "city": center.city, "state": center.state}


def listing_summary(listing: Listing, distance: float | None = None, location: Location | None = None) -> dict:
    return {
        "id": listing.id,
        "name": listing.name,
        "kind": listing.kind,
        "organization": {"id": listing.organization.id, "name": listing.organization.name},
        "session_format": listing.session_format,
        "delivery": listing.delivery,
        "moderation": listing.moderation,
        "online_mode": listing.online_mode,
        "membership": listing.membership,
        "audience": listing.audience,
        "journey_stage": listing.journey_stage,
        "cancer_type": listing.cancer_type,
        "cost": listing.cost,
        "languages": listing.languages,
        "license_type": listing.license_type,
        "license_state": listing.license_state,
        "accepting_clients": listing.accepting_clients,
        "telehealth_states": listing.telehealth_states,
        "service_area": listing.service_area,
        "remote_only": listing.is_remote_only,
        "is_demo": listing.is_demo,
        "distance_miles": round(distance, 2) if distance is not None else None,
        "location": location_dict(location),
        "last_verified": listing.last_verified.isoformat() if listing.last_verified else None,
        "guidance": [{"code": n.code, "text": n.short} for n in guidance.short_notes_for(listing)],
        "url": url_for("public.listing", listing_id=listing.id, _external=True),
    }


def listing_detail(listing: Listing) -> dict:
    data = listing_summary(listing, location=listing.locations[0] if listing.locations else None)
    data.update({
        "description": listing.description,
        "description_es": listing.description_es,
        "website": listing.url,
        "email": listing.email,
        "how_to_join": listing.how_to_join,
        "cost_details": listing.cost_details,
        "accessibility": listing.accessibility,
        "moderator_credentials": listing.moderator_credentials,
        "privacy_policy_url": listing.privacy_policy_url,
        "records_sessions": listing.records_sessions,
        "anonymity_allowed": listing.anonymity_allowed,
        "medical_advice_policy": listing.medical_advice_policy,
        "license_number": listing.license_number,
        "locations": [location_dict(loc) for loc in listing.locations],
        "phones": [{"number": p.number, "extension": p.extension, "type": p.type, "description": p.description}
                   for p in listing.phones],
        "schedules": [{"freq": s.freq, "interval": s.interval, "byday": s.byday,
                       "opens_at": s.opens_at.strftime("%H:%M") if s.opens_at else None,
                       "closes_at": s.closes_at.strftime("%H:%M") if s.closes_at else None,
                       "timezone": s.timezone, "text": schedule_in_words(s)} for s in listing.schedules],
        "guidance": [{"code": n.code, "text": n.text} for n in guidance.notes_for(listing)],
    })
    return data
