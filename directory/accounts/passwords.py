"""Password hashing and strength rules."""
from __future__ import annotations

from functools import cache
from pathlib import Path

from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 12
MAX_LENGTH = 256  # scrypt on a megabyte of input is a cheap denial of service
# Checked when an email is unknown, so a failed login costs the same either way.
_DUMMY_HASH = generate_password_hash("not-a-real-password-0000", method="scrypt")


@cache
def _common_passwords() -> frozenset[str]:
    path = Path(__file__).with_name("common_passwords.txt")
    return frozenset(line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def verify_password(password_hash: str | None, password: str) -> bool:
    if len(password) > MAX_LENGTH:
        return False
    return check_password_hash(password_hash or _DUMMY_HASH, password) and password_hash is not None


def password_problems(password: str, email: str = "") -> list[str]:
    """Why a new password is not good enough (empty when it is)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(_("Use at least %(n)s characters.", n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        problems.append(_("Use at most %(n)s characters.", n=MAX_LENGTH))
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(lowered)) <= 2:
        problems.append(_("That password is too common or too easy to guess. Try a short phrase of unrelated words."))
    local_part = email.split("@")[0].lower()
    if len(local_part) >= 4 and local_part in lowered:
        problems.append(_("Do not use your email address in your password."))
    return problems
