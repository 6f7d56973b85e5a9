"""Shared fixtures (the Flask tutorial's shape): app, client, runner, plus factories.

The suite runs on a fresh SQLite file by default and on PostgreSQL when
TEST_DATABASE_URL is set. The schema is built by the real Alembic migrations,
once per session; every test starts from empty tables.
"""
from __future__ import annotations

import os

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from directory import create_app
from directory.extensions import db
from tests import factories


def _test_database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    if url:
        return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")


def _reset_schema() -> None:
    """Start from nothing, so the migrations themselves build every table."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production-0123456789",
        "SQLALCHEMY_DATABASE_URI": _test_database_url(tmp_path_factory),
        "RATELIMIT_STORAGE_URI": "memory://",
    })
    with app.app_context():
        _reset_schema()
        upgrade()
    return app


def empty_all_tables() -> None:
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture(autouse=True)
def _clean_database(app):
    """Each test gets empty tables and an app context (tests/browser overrides this)."""
    with app.app_context():
        empty_all_tables()
        yield
        db.session.rollback()
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make():
    """Factories for test data: make.listing(...), make.organization(...)."""
    return factories
