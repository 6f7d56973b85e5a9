"""Sign in, sign out, sign up, change password."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db, limiter
from ..redirects import safe_next
from . import service
from .forms import LoginForm, PasswordChangeForm, SignupForm

bp = Blueprint("accounts", __name__)

LOGIN_LIMIT = "10 per 15 minutes"


def _failed_login(response) -> bool:
    """Only failed attempts count toward the login limits (a success redirects)."""
    return response.status_code != 302


def _login_account_key() -> str:
    return "login-account:" + service.normalize_email(request.form.get("email", ""))[:254]


def home_for(user) -> str:
    return {
        "coordinator": url_for("coordinator.dashboard"),
        "caseworker": url_for("referrals.dashboard"),
        "moderator": url_for("moderation.queue"),
        "admin": url_for("moderation.queue"),
    }.get(user.role, url_for("public.index"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"], deduct_when=_failed_login)
@limiter.limit(LOGIN_LIMIT, methods=["POST"], key_func=_login_account_key, deduct_when=_failed_login)
def login():
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = service.authenticate(form.email.data, form.password.data)
        if user is not None:
            session.clear()  # nothing from before sign-in carries over
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next"), home_for(user)))
        error = _("That email and password do not match an account.")
    elif request.method == "POST":
        error = _("Enter your email and password.")
    return render_template("accounts/login.html", form=form, error=error), 200 if error is None else 401


@bp.post("/logout")
@login_required
def logout():
    service.end_sessions(current_user._get_current_object())
    logout_user()
    session.clear()
    flash(_("You are signed out."))
    return redirect(url_for("public.index"))


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit("5 per hour", methods=["POST"])
def signup():
    form = SignupForm()
    if form.validate_on_submit():
        try:
            service.create_user(form.email.data, form.password.data, form.role.data,
                                (form.organization.data or "").strip() or None, approved=False)
        except service.AccountError as error:
            getattr(form, error.field or "email").errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Thank you. A moderator will review your account; you can sign in once it is approved."))
            return redirect(url_for("accounts.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/signup.html", form=form), status


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            service.change_password(current_user._get_current_object(), form.current_password.data,
                                    form.new_password.data)
        except service.AccountError as error:
            getattr(form, error.field).errors.append(error.message)
        else:
            logout_user()
            session.clear()
            flash(_("Your password is changed. Sign in again with the new one."))
            return redirect(url_for("accounts.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/password.html", form=form), status


def init_login_manager(app) -> None:
    from ..extensions import login_manager

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    login_manager.user_loader(service.load_user)
