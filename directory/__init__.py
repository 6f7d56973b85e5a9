"""The Support Directory application factory: wiring only."""
from __future__ import annotations

import os

from flask import Flask

from . import database, search_cache  # database also registers the SQLite pragmas
from .config import load_config
from .extensions import babel, csrf, db, limiter, migrate
from .i18n import select_locale

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")
PROJECT_ROOT = os.path.dirname(MIGRATIONS_DIR)


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=os.path.join(PROJECT_ROOT, "templates"),
        static_folder=os.path.join(PROJECT_ROOT, "static"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(load_config(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    search_cache.check_settings(app)  # a malformed setting stops the start, not the first search

    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    register_security_headers(app)
    return app


def register_extensions(app: Flask) -> None:
    # A server database's connections can drop while pooled: test each as it is taken. A SQLite file's
    # cannot, and the test cost a statement per request.
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {}).setdefault("pool_pre_ping", True)
    db.init_app(app)
    app.teardown_appcontext(database.close_read_connection)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, include_name=database.include_name)
    from .accounts.views import init_login_manager

    init_login_manager(app)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)


def register_blueprints(app: Flask) -> None:
    from .accounts.views import bp as accounts_bp
    from .api.views import bp as api_bp
    from .coordinator.views import bp as coordinator_bp
    from .health import bp as health_bp
    from .hsds.views import bp as hsds_bp
    from .moderation.views import bp as moderation_bp
    from .public.views import bp as public_bp
    from .referrals.views import bp as referrals_bp
    from .reports.views import bp as reports_bp

    for blueprint in (public_bp, api_bp, accounts_bp, coordinator_bp, moderation_bp, health_bp, reports_bp,
                      referrals_bp, hsds_bp):
        app.register_blueprint(blueprint)


def register_errorhandlers(app: Flask) -> None:
    from .errors import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from .presenters import register

    register(app)


def register_commands(app: Flask) -> None:
    from .cli import register

    register(app)


def register_security_headers(app: Flask) -> None:
    from .security import add_security_headers

    app.after_request(add_security_headers)
