"""Shared fixtures (the Flask tutorial's shape): app, client, runner, plus factories.

The suite runs on a fresh SQLite file by default and on PostgreSQL when
TEST_DATABASE_URL is set. The schema is built by the real Alembic migrations,
once per session; every test starts from empty tables.
"""
from __future__ import annotations

import contextvars
import os
import re
from urllib.parse import quote

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text

from directory import create_app
from directory.extensions import db, limiter
from tests import factories
from tests.catalogs import compile_catalogs


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


class IsolatedClient(FlaskClient):
    """A test client whose every request gets its own app context, as in production.

    Tests hold an app context open (for factories and queries); without this,
    requests would share the test's `g` and database session, hiding bugs
    that only show when each request starts fresh.
    """

    def open(self, *args, **kwargs):
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():
            db.session.expire_all()  # the request may have changed rows the test holds
        return response


@pytest.fixture(scope="session", autouse=True)
def _compiled_translations():
    """`make test` compiles the catalogs; a bare `pytest` must see the same Spanish (before any request)."""
    compile_catalogs()


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production-0123456789",
        "SQLALCHEMY_DATABASE_URI": _test_database_url(tmp_path_factory),
        "RATELIMIT_STORAGE_URI": "memory://",
        # Keep every search answer the first time (the default waits for a second): every search of the
        # suite then runs through the cache, and a stale answer anywhere would be served.
        "SEARCH_CACHE_ADMIT_AFTER": 1,
    })
    app.test_client_class = IsolatedClient
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
        limiter.reset()  # rate-limit counts must not leak from one test into the next
        yield
        db.session.rollback()
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    """Sign in and out through the real forms, CSRF token included (flaskr's `auth`)."""

    def __init__(self, client):
        self._client = client

    def csrf_token(self, path: str = "/login") -> str:
        page = self._client.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, email: str, password: str = factories.DEFAULT_PASSWORD, next: str | None = None, **extra):
        url = "/login" + (f"?next={quote(next, safe='')}" if next is not None else "")
        data = {"email": email, "password": password, "csrf_token": self.csrf_token(), **extra}
        return self._client.post(url, data=data)

    def logout(self):
        return self._client.post("/logout", data={"csrf_token": self.csrf_token("/")})


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def make():
    """Factories for test data: make.listing(...), make.organization(...)."""
    return factories
