"""The writing half of `flask hsds-import`: checks against the database, then one transaction.

importer.py has checked every record and planned each listing (ServicePlan); here the plans meet
the directory. References to rows outside the input must exist, ids we hold must belong to the
same listing, and then organizations, listings and their parts are created or updated by HSDS id,
in batches (each flush also rewrites the batch's search entries, see search_index.py). Pending
listings get a revision in the review queue; every listing and organization an audit row.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import delete, exists, select
from sqlalchemy.orm.attributes import flag_modified, set_committed_value

from ..audit import record
from ..extensions import db
from ..listing_data import values_of
from ..models import (Listing, ListingCode, ListingRevision, Location, Organization, Phone, Schedule,
                      ServiceAtLocation, Taxonomy, TaxonomyTerm, User, utcnow)
from .importer_sources import Nested, Report

if TYPE_CHECKING:
    from .importer import Planner, ServicePlan

BATCH = 500


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    organizations: int = 0
    status: str = "pending"
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)


class ImportRefused(Exception):
    """The command cannot start (who is importing, or what PATH is); the message says why."""


# -- checks against the database ----------------------------------------------------------------------------

def _chunks(items: list, size: int = BATCH) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _existing(column, keys: Iterable[str], *extra) -> dict:
    found = {}
    keys = sorted(set(keys))
    for chunk in _chunks(keys):
        found.update({row[0]: row[1:] for row in db.session.execute(select(column, *extra).where(column.in_(chunk)))})
    return found


def check_references(nested: Nested, plans: list[ServicePlan], planner: Planner, report: Report) -> None:
    """References to rows outside the input must find them in the directory."""
    columns = {"organization": Organization.hsds_id, "taxonomy": Taxonomy.hsds_id,
               "taxonomy_term": TaxonomyTerm.hsds_id}
    wanted = [(where, table, key) for where, table, key in nested.outside]
    wanted += [(plan.where.at("organization_id"), "organization", plan.organization_id) for plan in plans
               if plan.organization_id is not None and plan.organization_id not in planner.organizations]
    for table, column in columns.items():
        keys = {key for _, t, key in wanted if t == table}
        found = _existing(column, keys, column) if keys else {}
        for where, t, key in wanted:
            if t == table and key not in found:
                report.problem(where, f"refers to {table} {key}, which is neither in this input nor in the directory")


def check_ownership(plans: list[ServicePlan], report: Report) -> None:
    """A phone, schedule or service_at_location id we already hold must belong to the same listing."""
    for model, attribute in ((Phone, "phones"), (Schedule, "schedules"), (ServiceAtLocation, "locations")):
        owner = {}
        for plan in plans:
            for item in getattr(plan, attribute):
                owner[item[0] if isinstance(item, tuple) else item["hsds_id"]] = plan
        keys = sorted(owner)
        for chunk in _chunks(keys):
            held = db.session.execute(select(model.hsds_id, Listing.hsds_id)
                                      .join(Listing, Listing.id == model.listing_id).where(model.hsds_id.in_(chunk)))
            for key, listing_hsds_id in held:
                if listing_hsds_id != owner[key].hsds_id:
                    report.problem(owner[key].where, f"the {model.__tablename__} id {key} already belongs to "
                                                     f"another listing ({listing_hsds_id})")


# -- writing ----------------------------------------------------------------------------------------------------

def actor_for(email: str | None, approve: bool) -> User | None:
    if approve and not email:
        raise ImportRefused("--approve publishes the listings at once, so it needs --as EMAIL naming an active "
                            "admin account.")
    if not email:
        return None
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.is_active:
        raise ImportRefused(f"No active account has the email {email}.")
    if approve and user.role != "admin":
        raise ImportRefused(f"{email} is a {user.role}; only an admin may import with --approve.")
    return user


def _write_organizations(planner: Planner, plans: list[ServicePlan], actor: User | None) -> dict[str, Organization]:
    """The file's organizations, created or updated, and those its services name that we already hold."""
    keys = list(planner.organizations)
    orgs = {}
    for chunk in _chunks(sorted(set(keys) | {plan.organization_id for plan in plans})):
        orgs.update({o.hsds_id: o for o in db.session.scalars(select(Organization).where(
            Organization.hsds_id.in_(chunk)))})
    created = set(keys) - set(orgs)
    for key in keys:
        org = orgs.get(key) or Organization()
        for name, value in planner.organizations[key].items():
            setattr(org, name, value)
        db.session.add(org)
        orgs[key] = org
    db.session.flush()
    for key in keys:
        record(actor, "hsds_import_created" if key in created else "hsds_import_updated", "organization",
               orgs[key].id)
    return orgs


def _clear_children(listings: list[Listing]) -> list[int]:
    """Delete what an update replaces; returns the ids of locations that may now be unused."""
    ids = [listing.id for listing in listings]
    location_ids = []
    for chunk in _chunks(ids):
        location_ids += db.session.scalars(select(ServiceAtLocation.location_id)
                                           .where(ServiceAtLocation.listing_id.in_(chunk))).all()
        for model in (ListingCode, Phone, Schedule, ServiceAtLocation):
            db.session.execute(delete(model).where(model.listing_id.in_(chunk)))
    for listing in listings:  # the collections are empty now; saying so spares a lazy load (and autoflush) each
        for name in ("codes", "phones", "schedules", "service_at_locations"):
            set_committed_value(listing, name, [])
    return location_ids


def _fill(listing: Listing, plan: ServicePlan, org: Organization, places: dict[str, Location]) -> None:
    listing.organization_id = org.id  # not the relationship: that would load each organization's listings
    for name, value in plan.columns.items():
        setattr(listing, name, value)
    listing.other_terms = plan.other_terms or None
    listing.codes = [ListingCode(field=name, code=code) for name, codes in plan.codes.items() for code in codes]
    listing.phones = [Phone(**phone) for phone in plan.phones]
    listing.schedules = [Schedule(**schedule) for schedule in plan.schedules]
    sals = []
    for sal_id, spec in plan.locations:
        place = places.get(spec["hsds_id"])
        if place is None:
            place = places[spec["hsds_id"]] = Location()
            db.session.add(place)
        for name, value in spec.items():
            setattr(place, name, value)
        place.organization_id = org.id
        if all(s.location is not place for s in sals):
            sals.append(ServiceAtLocation(hsds_id=sal_id, location=place))
    listing.service_at_locations = sals


def _into_review(listings: list[Listing], actor: User | None, was_published: set[str]) -> None:
    """Pending listings go into the review queue, as a coordinator's submissions would; a revision
    still open from before is withdrawn (the import replaced what it proposed)."""
    for revision in db.session.scalars(select(ListingRevision).where(
            ListingRevision.listing_id.in_([listing.id for listing in listings]),
            ListingRevision.status.in_(("draft", "pending")))):
        revision.status = "withdrawn"
    now = utcnow()
    db.session.add_all(ListingRevision(listing_id=listing.id, data=values_of(listing), status="pending",
                                       is_new_listing=listing.hsds_id not in was_published,
                                       submitted_by_id=actor.id if actor else None, submitted_at=now)
                       for listing in listings)


def write(plans: list[ServicePlan], planner: Planner, actor: User | None, approve: bool,
          progress: Callable[[Iterable], Iterator] | None) -> ImportResult:
    orgs = _write_organizations(planner, plans, actor)
    existing = {}
    for chunk in _chunks([plan.hsds_id for plan in plans]):
        existing.update({item.hsds_id: item for item in
                         db.session.scalars(select(Listing).where(Listing.hsds_id.in_(chunk)))})
    was_published = {key for key, item in existing.items() if item.status == "approved"}
    maybe_unused = _clear_children(list(existing.values()))
    places = {}
    for chunk in _chunks([spec["hsds_id"] for plan in plans for _, spec in plan.locations]):
        places.update({p.hsds_id: p for p in db.session.scalars(select(Location).where(Location.hsds_id.in_(chunk)))})
    batch: list[tuple[Listing, bool]] = []
    with db.session.no_autoflush:  # flush once a batch (each flush also rewrites those listings' search entries)
        for plan in (progress(plans) if progress else plans):
            listing = existing.get(plan.hsds_id)
            if listing is None:
                listing = Listing(hsds_id=plan.hsds_id)
                db.session.add(listing)
            _fill(listing, plan, orgs[plan.organization_id], places)
            listing.status = "approved" if approve else "pending"
            if plan.hsds_id in existing:
                flag_modified(listing, "updated_at")  # the file's last_modified, even when unchanged (no onupdate)
            batch.append((listing, plan.hsds_id not in existing))
            if len(batch) >= BATCH:
                _finish(batch, actor, approve, was_published)
                batch = []
        _finish(batch, actor, approve, was_published)
    _delete_unused_locations(maybe_unused)
    created = sum(1 for plan in plans if plan.hsds_id not in existing)
    return ImportResult(created=created, updated=len(plans) - created, organizations=len(orgs),
                        status="approved" if approve else "pending")


def _finish(batch: list[tuple[Listing, bool]], actor: User | None, approve: bool, was_published: set[str]) -> None:
    db.session.flush()
    for listing, is_new in batch:
        record(actor, "hsds_import_created" if is_new else "hsds_import_updated", "listing", listing.id)
    if not approve and batch:
        _into_review([listing for listing, _ in batch], actor, was_published)


def _delete_unused_locations(location_ids: list[int]) -> None:
    for chunk in _chunks(sorted(set(location_ids))):
        db.session.execute(delete(Location).where(Location.id.in_(chunk), ~exists().where(
            ServiceAtLocation.location_id == Location.id)))
