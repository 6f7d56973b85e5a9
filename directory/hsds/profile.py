"""Our HSDS profile: how Support Directory's vocabulary and facts appear in HSDS 3.0 (served as JSON)."""
from __future__ import annotations

from ..seeding import LICENSE_FACT_FIELD, LISTING_FACT_FIELD, LISTING_FACT_TERMS, TAXONOMY_NAME
from ..vocabulary import MULTI_FIELDS, SINGLE_FIELDS
from .mapping import LICENSE_LINK_TYPES

# What each listing fact's attribute holds (value), and why it is an attribute, not an HSDS field.
LISTING_FACTS = {
    "description_es": "the description in Spanish, as text. HSDS 3.0 has one description per service and no "
                      "field for another language's copy.",
    "accessibility": "how the program is accessible (step-free entrance, captions, sign language ...), as text. "
                     "HSDS 3.0's accessibility object belongs to a location (location.accessibility, with "
                     "location_id), and ours describes the service: online and phone programs have no location, "
                     "and copying it onto each location would read back as several, possibly different, notes.",
    "moderator_credentials": "the training or credentials of whoever leads or moderates, as text. Not "
                             "service.accreditations or service.licenses, which describe the service's own "
                             "accreditation and licenses.",
    "privacy_policy_url": "the program's privacy policy, an http(s) web address",
    "records_sessions": "whether sessions are recorded: true or false",
    "anonymity_allowed": "whether people may take part without their real name: true or false",
    "medical_advice_policy": "the program's policy on medical advice, as text",
    "is_demo": "true on a demo listing (an example, not a real program); absent otherwise. A directory that "
               "takes our data should keep such listings marked, or leave them out.",
}


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
                "note": f"HSDS has no practitioner object. A counselor's license number and state, each state "
                        f"where they may see clients by telehealth, and whether they accept new clients (true or "
                        f"false) are attributes: link_type the fact, value the fact, taxonomy_term_id our term "
                        f"{LICENSE_FACT_FIELD}:LINK_TYPE (e.g. {LICENSE_FACT_FIELD}:license_number).",
            },
            "listing_facts": {
                "link_types": {name: LISTING_FACTS[name] for name in LISTING_FACT_TERMS},
                "note": f"Facts of a listing HSDS 3.0 has no service field for, among them the online-safety facts "
                        f"our guidance is built on. Each is one attribute: link_type the fact, value the fact "
                        f"(true or false for yes/no facts), taxonomy_term_id our term {LISTING_FACT_FIELD}:LINK_TYPE. "
                        f"A fact the listing does not state has no attribute. On import, a listing fact a service "
                        f"does not give is cleared, and a bad value (not true or false, not a web address, longer "
                        f"than we hold) stops the import with its file, row and field.",
            },
            "other_terms": "Attributes an HSDS import brought whose term is not in our vocabulary (another "
                           "taxonomy's, or a code we do not use) are kept as text on the listing, with their term "
                           "and its taxonomy, and exported again as the same attributes, with those terms in "
                           "taxonomy_terms.csv and taxonomies.csv. They are not searchable on /search and not among "
                           "/hsds/taxonomy_terms; the services filters taxonomy_term_id and taxonomy_id do find "
                           "services by them.",
        },
        "not_exported": {
            "publication status": "only approved listings are published; the directory that takes them decides "
                                  "its own review (our importer makes imported listings wait for a moderator)",
            "created_at": "when the row was made here: the taking directory makes its own rows",
            "internal ids": "services, organizations and their parts are known by their HSDS ids (uuid)",
            "organization is_demo": "only seeding sets it and nothing shows it; each of a demo organization's "
                                    "listings carries is_demo",
        },
        "fields": {
            "service.status": "the HSDS service status (active, inactive, defunct, temporarily closed); only "
                              "active services are published",
            "service.last_modified": "when the listing last changed (UTC)",
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
            "taxonomy_term_id": "a term of our vocabulary finds the services with that code; a fact's term "
                                "(license_fact:*, listing_fact:*) the services that state that fact; any other id "
                                "the services that kept it as an other term",
            "errors": {"400": "a bad parameter: {error: {code, message, field}}", "404": "no published record"},
        },
    }
