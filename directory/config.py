"""Settings, read from environment variables (the twelve-factor way).

`load_config()` returns a plain dict that `create_app` applies; tests pass
their own overrides on top through `create_app(test_config)`.
"""
from __future__ import annotations

import os
import secrets

DEV_SECRET_PLACEHOLDER = "dev-only-not-secret"
TRANSLATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "translations")
WEAK_SECRETS = {"", "dev", "secret", "changeme", "change-me", DEV_SECRET_PLACEHOLDER}


class ConfigError(RuntimeError):
    """The environment does not describe a safe configuration."""


def _database_url(instance_path: str) -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return "sqlite:///" + os.path.join(instance_path, "directory.db")
    # Hosting platforms still hand out postgres:// URLs; SQLAlchemy wants the
    # dialect+driver spelled out, and we ship psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load_config(instance_path: str) -> dict:
    env = os.environ.get("APP_ENV", os.environ.get("FLASK_ENV", "development")).lower()
    production = env == "production"
    secret = os.environ.get("SECRET_KEY", "")
    if production and (secret in WEAK_SECRETS or len(secret) < 32):
        raise ConfigError(
            "SECRET_KEY must be set to a random value of at least 32 characters in production "
            '(python -c "import secrets; print(secrets.token_hex(32))")'
        )
    if not secret:
        # A per-process random key: sessions do not survive a restart, which is
        # the safe failure for development; production must set SECRET_KEY.
        secret = secrets.token_hex(32)

    return {
        "ENV_NAME": env,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "GEOCODER": os.environ.get("GEOCODER", "offline").lower(),
        "GEOCODER_USER_AGENT": os.environ.get("GEOCODER_USER_AGENT", ""),
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "BABEL_DEFAULT_LOCALE": "en",
        "LANGUAGES": ["en", "es"],
        "BABEL_TRANSLATION_DIRECTORIES": TRANSLATIONS_DIR,
        "SEARCH_DEFAULT_RADIUS": 25,
        "SEARCH_DEFAULT_PER_PAGE": 20,
    }
