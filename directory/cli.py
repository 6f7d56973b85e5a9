"""Flask CLI commands (`flask --app app …`)."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app

from .extensions import db
from .geo import geocoder_from_config


def _progress(label: str):
    def wrap(items):
        items = list(items)
        with click.progressbar(items, label=label, file=sys.stderr) as bar:
            yield from bar
    return wrap


@click.command("seed")
@click.option("--demo", is_flag=True, help="Also load the demo listings (marked demo everywhere).")
@click.option("--if-empty", is_flag=True, help="Do nothing when the directory already has listings.")
def seed_command(demo: bool, if_empty: bool) -> None:
    """Load the taxonomy and national programs (and demo listings). Safe to run again."""
    from .models import Listing
    from .seeding import seed_listings, seed_taxonomy

    if if_empty and db.session.scalar(db.select(Listing.id).limit(1)) is not None:
        # The taxonomy is part of the app, not of the data: terms added by a new version reach old databases.
        terms = seed_taxonomy()
        db.session.commit()
        click.echo(f"The directory already has listings; not seeding them. Taxonomy up to date ({terms} terms).")
        return

    geocode = geocoder_from_config(current_app.config["GEOCODER"], current_app.config["GEOCODER_USER_AGENT"])
    terms = seed_taxonomy()
    national = seed_listings("national_programs.json", geocode)
    demo_count = seed_listings("demo_listings.json", geocode, _progress("Demo listings")) if demo else 0
    db.session.commit()
    click.echo(f"Seeded {terms} taxonomy terms, {national} national programs, {demo_count} demo listings.")


@click.command("create-user")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(["coordinator", "caseworker", "moderator", "admin"]))
@click.option("--org", "organization", help="The organization a coordinator (or caseworker) belongs to.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of a prompt.")
def create_user_command(email: str, role: str, organization: str | None, password_stdin: bool) -> None:
    """Create an approved account (for staff and the first moderator)."""
    from .accounts.service import AccountError, create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(email, password, role, organization, approved=True)
    except AccountError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"Created {role} account {user.id}.")


@click.command("purge-referrals")
@click.option("--older-than-days", "days", required=True, type=click.IntRange(min=1),
              help="Delete referral packets created more than this many days ago (at least 1).")
def purge_referrals_command(days: int) -> None:
    """Delete old referral packets and their items; the audit trail stays. Safe to run from cron."""
    from .referrals.service import purge

    packets, items = purge(days)
    click.echo(f"Deleted {packets} referral packets and {items} items older than {days} days.")


@click.command("hsds-export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def hsds_export_command(directory: Path) -> None:
    """Write the published listings as HSDS 3.0: services.json and a tabular data package (CSV)."""
    from .hsds.export import ExportError, export

    try:
        result = export(directory, _progress("Services"))
    except ExportError as error:
        raise click.ClickException(str(error)) from None
    counts = ", ".join(f"{number} {name}" for name, number in result.counts.items())
    click.echo(f"Exported to {result.directory}: {counts}.")


@click.command("hsds-import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check everything and report, but write nothing.")
@click.option("--approve", is_flag=True, help="Publish the listings at once (needs --as naming an active admin).")
@click.option("--as", "actor_email", metavar="EMAIL", help="The account the import is done as (for the audit trail).")
def hsds_import_command(path: Path, dry_run: bool, approve: bool, actor_email: str | None) -> None:
    """Import HSDS 3.0 services: a JSON file, a data package folder (datapackage.json + CSVs) or a zip.

    All or nothing: every problem is reported with its file, row and field, and then nothing is written.
    Imported listings wait for review unless an admin passes --approve.
    """
    from .hsds.importer import ImportFailed, ImportRefused, import_path

    try:
        result = import_path(path, approve=approve, actor_email=actor_email, dry_run=dry_run,
                             progress=_progress("Services"))
    except ImportRefused as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    except ImportFailed as failure:
        for line in failure.report.note_lines():
            click.echo(line, err=True)
        for line in failure.report.problems:
            click.echo(f"problem: {line}", err=True)
        count = len(failure.report.problems)
        raise click.ClickException(f"Nothing was imported: {count} problem{'' if count == 1 else 's'} in {path}.") \
            from None
    for line in result.notes:
        click.echo(line)
    verb, state = ("Would import", "would be") if result.dry_run else ("Imported", "are")
    services, organizations = result.created + result.updated, result.organizations
    click.echo(f"{verb} {services} service{'' if services == 1 else 's'} ({result.created} new, "
               f"{result.updated} updated) and {organizations} organization{'' if organizations == 1 else 's'} "
               f"from {path}; listings {state} {result.status}."
               + (" Dry run: nothing was written." if result.dry_run else ""))


def register(app) -> None:
    app.cli.add_command(seed_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(purge_referrals_command)
    app.cli.add_command(hsds_export_command)
    app.cli.add_command(hsds_import_command)
