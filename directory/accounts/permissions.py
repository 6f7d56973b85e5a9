"""Who may do what: role checks for views."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def role_required(*roles: str, approved: bool = True):
    """Let in signed-in users with one of `roles`; 403 for other roles or accounts
    still waiting for approval (anonymous users go to the login page)."""
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles or (approved and not current_user.is_approved):
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator
