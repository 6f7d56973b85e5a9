"""The one vocabulary of codes (DESIGN.md), with the labels people see.

Models, forms, search, the API, HSDS attributes, seeds and tests all use
these codes. Labels go through gettext so the Spanish catalog can cover them.
"""
from __future__ import annotations

from babel import Locale
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

KIND = {"support_program": _l("Support program"), "counseling": _l("Counseling")}
SESSION_FORMAT = {"one_on_one": _l("One-on-one"), "group": _l("Group")}
DELIVERY = {"in_person": _l("In person"), "online": _l("Online"), "phone": _l("By phone")}
MODERATION = {
    "licensed_professional": _l("A licensed professional"),
    "trained_peer": _l("Trained peers"),
    "unmoderated": _l("No one (unmoderated)"),
}
ONLINE_MODE = {"video": _l("Video meetings"), "chat": _l("Live chat"), "forum": _l("Message board")}
MEMBERSHIP = {
    "open": _l("Open to all"),
    "registration": _l("Registration needed"),
    "screened": _l("Screened membership"),
}
AUDIENCE = {
    "patients": _l("People with cancer"),
    "survivors": _l("Survivors"),
    "caregivers": _l("Caregivers"),
    "family": _l("Family"),
    "children_teens": _l("Children and teens"),
    "young_adults": _l("Young adults"),
    "bereaved": _l("Bereaved"),
}
JOURNEY_STAGE = {
    "newly_diagnosed": _l("Newly diagnosed"),
    "in_treatment": _l("In treatment"),
    "advanced_metastatic": _l("Advanced or metastatic"),
    "survivorship": _l("Survivorship"),
    "end_of_life": _l("End of life"),
    "bereavement": _l("Bereavement"),
}
CANCER_TYPE = {
    "any": _l("Any cancer"),
    "blood": _l("Blood cancers"),
    "brain": _l("Brain"),
    "breast": _l("Breast"),
    "colorectal": _l("Colorectal"),
    "gynecologic": _l("Gynecologic"),
    "head_neck": _l("Head and neck"),
    "lung": _l("Lung"),
    "pancreatic": _l("Pancreatic"),
    "pediatric": _l("Childhood cancers"),
    "prostate": _l("Prostate"),
    "sarcoma": _l("Sarcoma"),
    "skin": _l("Skin"),
}
COST = {
    "free": _l("Free"),
    "sliding_scale": _l("Sliding scale"),
    "insurance": _l("Insurance accepted"),
    "fee": _l("Fee"),
}
LICENSE_TYPE = {
    "clinical_social_worker": _l("Clinical social worker"),
    "licensed_counselor": _l("Licensed counselor"),
    "psychologist": _l("Psychologist"),
    "psychiatrist": _l("Psychiatrist"),
    "psychiatric_nurse_practitioner": _l("Psychiatric nurse practitioner"),
}
LISTING_STATUS = ("draft", "pending", "approved", "rejected", "archived")
LISTING_STATUS_LABELS = {
    "draft": _l("Draft"),
    "pending": _l("Waiting for review"),
    "approved": _l("Published"),
    "rejected": _l("Changes needed"),
    "archived": _l("Archived"),
}
ROLE_LABELS = {
    "coordinator": _l("Program coordinator"),
    "caseworker": _l("Caseworker"),
    "moderator": _l("Moderator"),
    "admin": _l("Administrator"),
}
SERVICE_STATUS = ("active", "inactive", "defunct", "temporarily closed")

# Languages we offer in the filter: ISO 639-1 codes spoken by many people
# facing cancer in the US. Listings may carry any ISO 639-1 code.
LANGUAGE = {
    "en": _l("English"),
    "es": _l("Spanish"),
    "zh": _l("Chinese"),
    "vi": _l("Vietnamese"),
    "tl": _l("Tagalog"),
    "ko": _l("Korean"),
    "ru": _l("Russian"),
    "ar": _l("Arabic"),
    "ht": _l("Haitian Creole"),
    "fr": _l("French"),
    "pl": _l("Polish"),
    "pt": _l("Portuguese"),
    "hi": _l("Hindi"),
    "yi": _l("Yiddish"),
}

# US states and territories with a ZIP code; "US" means nationwide in a service area.
STATES = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR VI GU AS MP"
).split()
NATIONWIDE = "US"

# Fields that hold several codes (stored in listing_code rows).
MULTI_FIELDS = {
    "delivery": DELIVERY,
    "audience": AUDIENCE,
    "journey_stage": JOURNEY_STAGE,
    "cancer_type": CANCER_TYPE,
    "language": LANGUAGE,
}
# Fields that hold one code (a column on the listing).
SINGLE_FIELDS = {
    "kind": KIND,
    "session_format": SESSION_FORMAT,
    "moderation": MODERATION,
    "online_mode": ONLINE_MODE,
    "membership": MEMBERSHIP,
    "cost": COST,
    "license_type": LICENSE_TYPE,
}
ALL_FIELDS = {**SINGLE_FIELDS, **MULTI_FIELDS}

REMOTE_DELIVERY = ("online", "phone")


def label(field: str, code: str | None) -> str:
    """The label for a code, or the code itself for one we do not know (imported data).

    An imported language outside our list is an ISO 639-1 code: it gets its name from the CLDR
    (Babel), in the reader's language, rather than being shown as "ur".
    """
    if code is None:
        return ""
    known = ALL_FIELDS.get(field, {}).get(code)
    if known is not None:
        return str(known)
    if field == "language":
        return (get_locale() or Locale("en")).languages.get(code, code)
    return code
