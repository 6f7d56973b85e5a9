"""Typed SQLAlchemy 2.0 models, one module per aggregate, aligned with HSDS 3.0.

HSDS object   -> our model
organization  -> Organization
service       -> Listing (one directory listing: a support program or a counselor)
location      -> Location, linked through ServiceAtLocation
phone, schedule, service_area/attribute -> Phone, Schedule, ListingCode
taxonomy(_term) -> Taxonomy, TaxonomyTerm (our vocabulary, published as a taxonomy)
"""
from .base import new_uuid, utcnow
from .listing import Listing, ListingCode, Phone, Schedule
from .location import Location, ServiceAtLocation
from .organization import Organization
from .taxonomy import Taxonomy, TaxonomyTerm

__all__ = [
    "Listing", "ListingCode", "Location", "Organization", "Phone", "Schedule",
    "ServiceAtLocation", "Taxonomy", "TaxonomyTerm", "new_uuid", "utcnow",
]
