"""Settings, read from environment variables (the twelve-factor way).

`load_config()` returns a plain dict that `create_app` applies; tests pass
their own overrides on top through `create_app(test_config)`.
"""
from __future__ import annotations

import os
import secrets
import time

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


def _development_secret(instance_path: str) -> str:
    """A random key kept in the instance folder (mode 0600), made on first use.

    Every worker of `make run` (gunicorn, 2 by default) must sign sessions and CSRF tokens with the
    same key, or a sign-in made on one worker is refused by the other; a key per process did that.
    Production sets SECRET_KEY instead (refused above when weak).
    """
    path = os.path.join(instance_path, "secret_key")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # made earlier, or by the worker that started first
        for _ in range(50):
            with open(path, encoding="ascii") as handle:
                key = handle.read().strip()
            if len(key) >= 32:
                return key
            time.sleep(0.01)  # the other worker is still writing it
        raise ConfigError(f"{path} holds no usable key: delete it, or set SECRET_KEY") from None
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key)
    return key


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
        secret = _development_secret(instance_path)

    return {
        "ENV_NAME": env,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
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
