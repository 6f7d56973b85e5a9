"""Configuration, security headers, error pages and the schema migrations."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from directory import create_app
from directory.config import ConfigError, load_config
from directory.database import include_name
from directory.extensions import db


def test_production_refuses_a_weak_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("APP_ENV", "production")
    for weak in ("", "dev", "changeme", "short-but-not-weak"):
        monkeypatch.setenv("SECRET_KEY", weak)
        with pytest.raises(ConfigError):
            load_config(str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    config = load_config(str(tmp_path))
    assert config["SESSION_COOKIE_SECURE"] is True


def test_without_secret_key_every_process_shares_one_kept_in_the_instance_folder(monkeypatch, tmp_path):
    """gunicorn's workers each load the config: one key for all, or a sign-in on one worker fails on another."""
    import os
    import stat

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("APP_ENV", raising=False)
    first, second = load_config(str(tmp_path))["SECRET_KEY"], load_config(str(tmp_path))["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode) == 0o600
    (tmp_path / "other").mkdir()
    assert load_config(str(tmp_path / "other"))["SECRET_KEY"] != first  # random, not a constant
    (tmp_path / "secret_key").write_text("short")
    with pytest.raises(ConfigError):
        load_config(str(tmp_path))


def test_database_url_from_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert load_config(str(tmp_path))["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    assert load_config(str(tmp_path))["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


def test_create_app_takes_test_config(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    assert app.testing


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_not_found_answers_html_or_json(client):
    html = client.get("/no-such-page")
    assert html.status_code == 404 and b"could not find" in html.data
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404
    assert api.json["error"]["code"] == "not_found"
    wants_json = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert wants_json.json["error"]["code"] == "not_found"


def test_migrations_match_the_models(app):
    """A model change without a migration fails here."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": include_name})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_pooled_connections_are_tested_only_where_they_can_drop(app):
    """PostgreSQL's connections are pinged as they leave the pool (a server restart drops them); a SQLite
    file's cannot drop, and the ping cost a statement per request."""
    assert db.engine.pool._pre_ping is (db.engine.dialect.name != "sqlite")


def test_sqlite_runs_with_foreign_keys_and_wal(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas only")
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_gunicorn_workers_tune_garbage_collection_and_malloc(monkeypatch):
    """gunicorn.conf.py sets the app's objects aside from collection and collects less often, and fixes
    glibc's threshold for mapping large blocks (bench/README.md)."""
    import ctypes
    import gc
    import os
    import runpy
    from types import SimpleNamespace

    from directory import place_index

    monkeypatch.setattr(place_index, "warm", lambda app: None)  # its own tests load places
    mallopt_calls = []
    monkeypatch.setattr(ctypes, "CDLL", lambda name: SimpleNamespace(
        mallopt=lambda parameter, value: mallopt_calls.append((parameter, value)) or 1))
    settings = runpy.run_path(os.path.join(os.path.dirname(os.path.dirname(__file__)), "gunicorn.conf.py"))
    thresholds = gc.get_threshold()
    try:
        gc.unfreeze()
        settings["post_worker_init"](SimpleNamespace(wsgi=None))
        assert gc.get_threshold() == settings["GC_THRESHOLDS"] and gc.get_freeze_count() > 0
        assert mallopt_calls == [(-3, settings["MMAP_THRESHOLD"])]  # M_MMAP_THRESHOLD
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
