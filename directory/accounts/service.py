"""Accounts: creating, signing in, approving and ending sessions. Plain functions, no request."""
from __future__ import annotations

from sqlalchemy import func, select

from ..audit import record
from ..extensions import db
from ..models import ROLES, Organization, User, utcnow
from .passwords import hash_password, password_problems, verify_password


class AccountError(ValueError):
    """A request about an account that cannot be carried out; the message is for people."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def organization_named(name: str) -> Organization:
    """The organization with this name (case-insensitive), created if new."""
    name = " ".join(name.split())
    org = db.session.scalar(select(Organization).where(func.lower(Organization.name) == name.lower()))
    if org is None:
        org = Organization(name=name)
        db.session.add(org)
        db.session.flush()
    return org


def create_user(email: str, password: str, role: str, organization_name: str | None = None, *,
                approved: bool, actor: User | None = None) -> User:
    from flask_babel import gettext as _

    email = normalize_email(email)
    if role not in ROLES:
        raise AccountError(_("Unknown role."), "role")
    if find_user(email) is not None:
        raise AccountError(_("An account with that email already exists."), "email")
    problems = password_problems(password, email)
    if problems:
        raise AccountError(" ".join(problems), "password")
    if role == "coordinator" and not organization_name:
        raise AccountError(_("A coordinator belongs to an organization: give its name."), "organization")
    user = User(email=email, password_hash=hash_password(password), role=role, is_approved=approved,
                organization=organization_named(organization_name) if organization_name else None)
    db.session.add(user)
    db.session.flush()
    record(actor or user, "account_created", "user", user.id)
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user for these credentials, or None — the same answer for unknown email and wrong password."""
    user = find_user(email)
    if not verify_password(user.password_hash if user else None, password) or user is None:
        if user is not None:
            record(user, "login_failed", "user", user.id)
            db.session.commit()
        return None
    if not user.is_active:
        return None
    user.last_login_at = utcnow()
    record(user, "login", "user", user.id)
    db.session.commit()
    return user


def end_sessions(user: User, action: str = "logout") -> None:
    """Invalidate every session and remember cookie this user holds."""
    user.rotate_session_token()
    record(user, action, "user", user.id)
    db.session.commit()


def change_password(user: User, current: str, new: str) -> None:
    from flask_babel import gettext as _

    if not verify_password(user.password_hash, current):
        raise AccountError(_("Your current password is not right."), "current_password")
    problems = password_problems(new, user.email)
    if problems:
        raise AccountError(" ".join(problems), "new_password")
    user.password_hash = hash_password(new)
    end_sessions(user, "password_changed")


def set_approval(actor: User, user: User, approved: bool) -> None:
    user.is_approved = approved
    record(actor, "account_approved" if approved else "account_unapproved", "user", user.id)
    db.session.commit()


def deactivate(actor: User, user: User) -> None:
    user.is_deactivated = True
    user.rotate_session_token()
    record(actor, "account_deactivated", "user", user.id)
    db.session.commit()


def load_user(session_token: str) -> User | None:
    if not session_token or len(session_token) > 64:
        return None
    return db.session.scalar(select(User).where(User.session_token == session_token, User.is_deactivated.is_(False)))
