"""Flask CLI commands (`flask --app app …`)."""
from __future__ import annotations

import sys

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
        click.echo("The directory already has listings; not seeding.")
        return

    geocode = geocoder_from_config(current_app.config["GEOCODER"], current_app.config["GEOCODER_USER_AGENT"])
    terms = seed_taxonomy()
    national = seed_listings("national_programs.json", geocode)
    demo_count = seed_listings("demo_listings.json", geocode, _progress("Demo listings")) if demo else 0
    db.session.commit()
    click.echo(f"Seeded {terms} taxonomy terms, {national} national programs, {demo_count} demo listings.")


def register(app) -> None:
    app.cli.add_command(seed_command)
