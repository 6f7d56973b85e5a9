"""Our HSDS profile: how Support Directory's vocabulary and facts appear in HSDS 3.0 (served as JSON)."""
from __future__ import annotations

from ..seeding import TAXONOMY_NAME
from ..vocabulary import MULTI_FIELDS, SINGLE_FIELDS
from .mapping import LICENSE_LINK_TYPES


def profile_document() -> dict:
    return {
        "name": "Support Directory HSDS profile",
        "hsds_version": "3.0",
        "description": "Cancer support programs and licensed counselors as HSDS services. Only listings a "
                       "moderator approved, in service and confirmed within a year, are published.",
        "taxonomy": {
            "name": TAXONOMY_NAME,
            "term_code": "Each term's code is FIELD:CODE, e.g. delivery:online; its name is the English label.",
            "fields": sorted([*SINGLE_FIELDS, *MULTI_FIELDS]),
        },
        "attributes": {
            "vocabulary": "Each vocabulary code on a listing is one attribute: link_entity 'service', link_id the "
                          "service id, link_type the field, value the code, taxonomy_term_id our term's id.",
            "counselor_facts": {
                "link_types": list(LICENSE_LINK_TYPES),
                "note": "HSDS has no practitioner object. A counselor's license number and state, each state "
                        "where they may see clients by telehealth, and whether they accept new clients are "
                        "attributes without a taxonomy term.",
            },
        },
        "fields": {
            "service.assured_date": "the date the listing was last confirmed accurate (last_verified)",
            "service.application_process": "how to join",
            "service.fees_description": "cost details; the cost code is an attribute (cost:free, ...)",
            "service.languages": "ISO 639-1 codes with English names",
            "service.service_areas": "where a remote (online or phone) listing serves: a US state code, or US for "
                                     "nationwide; for counselors, the states where they may work by telehealth",
            "schedule": "freq WEEKLY or MONTHLY, interval, byday (e.g. TU or 1TH), opens_at and closes_at as "
                        "HH:MM local time; timezone is the zone's current UTC offset in hours and notes name the "
                        "IANA zone",
            "location": "physical locations with one address (country US) and coordinates",
        },
        "api": {
            "per_page": {"default": 50, "max": 100},
            "minimal": "services with id, name, status and last_modified only",
            "service_at_locations": "postcode alone matches locations with that postal code; with proximity "
                                    "(metres), locations within that distance of the postcode's centroid, "
                                    "nearest first",
            "errors": {"400": "a bad parameter: {error: {code, message, field}}", "404": "no published record"},
        },
    }
