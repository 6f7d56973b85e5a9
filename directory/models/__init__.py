"""Typed SQLAlchemy 2.0 models, one module per aggregate, aligned with HSDS 3.0.

HSDS object   -> our model
organization  -> Organization
service       -> Listing (one directory listing: a support program or a counselor)
location      -> Location, linked through ServiceAtLocation
phone, schedule, service_area/attribute -> Phone, Schedule, ListingCode
taxonomy(_term) -> Taxonomy, TaxonomyTerm (our vocabulary, published as a taxonomy)
(not HSDS)    -> SearchEntry, SearchCard and SearchText, denormalised copies that search reads
(not HSDS)    -> ReferralPacket, ReferralItem (a caseworker's options for one client)
(not HSDS)    -> ListingRevision (a proposed version under review), ListingReport (a problem the public reported)
"""
from .account import ROLES, User
from .audit import AuditEvent
from .base import new_uuid, utcnow
from .listing import Listing, ListingCode, Phone, Schedule
from .location import Location, ServiceAtLocation
from .organization import Organization
from .referral import REFERRAL_STATUSES, ReferralItem, ReferralPacket
from .report import REPORT_PROBLEMS, ListingReport
from .review import ListingRevision
from .search_entry import SearchCard, SearchEntry, SearchText
from .taxonomy import Taxonomy, TaxonomyTerm

__all__ = [
    "AuditEvent", "ROLES", "User", "Listing", "ListingCode", "Location", "Organization", "Phone", "Schedule",
    "SearchCard", "SearchEntry", "SearchText", "ServiceAtLocation", "Taxonomy", "TaxonomyTerm", "new_uuid", "utcnow",
    "ListingReport", "ListingRevision", "REPORT_PROBLEMS", "REFERRAL_STATUSES", "ReferralItem", "ReferralPacket",
]
