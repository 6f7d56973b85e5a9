"""Accounts: sign-in, sessions that really end, safe redirects, rate limits, cookies, CSRF, audit."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from directory import create_app
from directory.extensions import db
from directory.models import AuditEvent, User

PASSWORD = "correct horse battery staple 42"


# -- create-user -----------------------------------------------------------------------------

def test_create_user_from_the_command_line(runner):
    result = runner.invoke(args=["create-user", "Mod@Example.org", "--role", "moderator", "--password-stdin"],
                           input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "mod@example.org"))
    assert user.role == "moderator" and user.is_approved
    assert user.password_hash.startswith("scrypt:") and PASSWORD not in user.password_hash


@pytest.mark.parametrize("password", ["short", "password1234", "aaaaaaaaaaaaaaaa", "moderator-secret-words"])
def test_create_user_refuses_weak_passwords(runner, password):
    result = runner.invoke(args=["create-user", "moderator@example.org", "--role", "moderator", "--password-stdin"],
                           input=password + "\n")
    assert result.exit_code != 0
    assert db.session.scalar(select(User)) is None


def test_create_user_refuses_duplicates_and_bad_roles(runner, make):
    make.user("moderator", email="taken@example.org")
    again = runner.invoke(args=["create-user", "taken@example.org", "--role", "moderator", "--password-stdin"],
                          input=PASSWORD + "\n")
    assert again.exit_code != 0 and "already exists" in again.output
    bad_role = runner.invoke(args=["create-user", "x@example.org", "--role", "root", "--password-stdin"], input=PASSWORD)
    assert bad_role.exit_code != 0


def test_coordinator_needs_an_organization(runner):
    result = runner.invoke(args=["create-user", "c@example.org", "--role", "coordinator", "--password-stdin"],
                           input=PASSWORD + "\n")
    assert result.exit_code != 0
    ok = runner.invoke(args=["create-user", "c@example.org", "--role", "coordinator", "--org", "Hope House",
                             "--password-stdin"], input=PASSWORD + "\n")
    assert ok.exit_code == 0
    assert db.session.scalar(select(User)).organization.name == "Hope House"


# -- signing in and out ----------------------------------------------------------------------

def test_login_and_logout(client, auth, make):
    coordinator = make.user("coordinator")
    response = auth.login(coordinator.email)
    assert response.status_code == 302 and response.headers["Location"].endswith("/coordinator/")
    assert client.get("/coordinator/").status_code == 200
    assert auth.logout().status_code == 302
    assert client.get("/coordinator/").status_code == 302  # back to the login page


def test_same_message_for_unknown_email_and_wrong_password(client, auth, make):
    known = make.user("coordinator")
    wrong_password = auth.login(known.email, "not the right password at all")
    unknown_email = auth.login("nobody@example.org", "not the right password at all")
    assert wrong_password.status_code == unknown_email.status_code == 401
    message = "That email and password do not match an account."
    assert message in wrong_password.get_data(as_text=True)
    assert message in unknown_email.get_data(as_text=True)


def test_deactivated_account_cannot_sign_in(auth, make):
    user = make.user("coordinator", deactivated=True)
    assert auth.login(user.email).status_code == 401


def _session_cookie(client) -> str:
    return client.get_cookie("session").value


def test_old_session_cookie_stops_working_after_logout(app, client, auth, make):
    user = make.user("coordinator")
    auth.login(user.email)
    stolen = _session_cookie(client)
    auth.logout()
    other = app.test_client()
    other.set_cookie("session", stolen)
    assert other.get("/coordinator/").status_code == 302


def test_remember_cookie_stops_working_after_logout(app, client, auth, make):
    user = make.user("coordinator")
    auth.login(user.email, remember="y")
    remember = client.get_cookie("remember_token")
    assert remember is not None and remember.http_only
    auth.logout()
    other = app.test_client()
    other.set_cookie("remember_token", remember.value)
    assert other.get("/coordinator/").status_code == 302


def test_password_change_ends_other_sessions(app, client, auth, make):
    user = make.user("coordinator")
    auth.login(user.email)
    elsewhere = app.test_client()
    AuthActions = type(auth)
    AuthActions(elsewhere).login(user.email)
    assert elsewhere.get("/coordinator/").status_code == 200
    response = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "a brand new long passphrase 7",
        "confirm": "a brand new long passphrase 7", "csrf_token": auth.csrf_token("/account/password")})
    assert response.status_code == 302
    assert elsewhere.get("/coordinator/").status_code == 302
    assert auth.login(user.email, "a brand new long passphrase 7").status_code == 302


def test_password_change_checks_the_current_password(client, auth, make):
    user = make.user("coordinator")
    auth.login(user.email)
    response = client.post("/account/password", data={
        "current_password": "wrong wrong wrong", "new_password": "a brand new long passphrase 7",
        "confirm": "a brand new long passphrase 7", "csrf_token": auth.csrf_token("/account/password")})
    assert response.status_code == 400
    assert "current password is not right" in response.get_data(as_text=True)


def test_deactivation_ends_sessions(client, auth, make):
    from directory.accounts.service import deactivate

    admin = make.user("admin")
    user = make.user("coordinator")
    auth.login(user.email)
    deactivate(admin, db.session.get(User, user.id))
    assert client.get("/coordinator/").status_code == 302


def test_session_is_rotated_at_login(client, auth, make):
    user = make.user("coordinator")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    auth.login(user.email)
    with client.session_transaction() as session:
        assert "planted" not in session


# -- redirects -------------------------------------------------------------------------------

@pytest.mark.parametrize("payload", [
    "//evil.example", "/\\evil.example", "\t//evil.example", "https://evil.example", "http:evil.example",
    "javascript:alert(1)", "/\t/evil.example", "\\\\evil.example", "//evil.example/%2f..", " //evil.example",
])
def test_open_redirects_stay_on_site(auth, make, payload):
    user = make.user("coordinator")
    response = auth.login(user.email, next=payload)
    assert response.status_code == 302
    assert response.headers["Location"] == "/coordinator/"


def test_local_next_is_followed(auth, make):
    user = make.user("coordinator")
    response = auth.login(user.email, next="/search?zip=60614")
    assert response.headers["Location"] == "/search?zip=60614"


# -- rate limits -----------------------------------------------------------------------------

def test_eleventh_bad_login_gets_429(auth, make):
    user = make.user("coordinator")
    for _ in range(10):
        assert auth.login(user.email, "wrong password here").status_code == 401
    assert auth.login(user.email, "wrong password here").status_code == 429
    assert auth.login(user.email).status_code == 429  # even the right password waits out the window


def test_bad_logins_against_one_account_from_many_addresses_are_limited(client, auth, make):
    user = make.user("coordinator")
    for n in range(10):
        token = auth.csrf_token()
        response = client.post("/login", data={"email": user.email, "password": "wrong", "csrf_token": token},
                               environ_base={"REMOTE_ADDR": f"10.0.0.{n}"})
        assert response.status_code == 401
    token = auth.csrf_token()
    response = client.post("/login", data={"email": user.email, "password": "wrong", "csrf_token": token},
                           environ_base={"REMOTE_ADDR": "10.0.1.99"})
    assert response.status_code == 429


def test_login_limit_is_shared_through_redis(app, tmp_path):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        if __import__("os").environ.get("CI") == "true":
            raise
        pytest.skip("no Redis at 127.0.0.1:6379")
    from tests.conftest import AuthActions
    from tests import factories

    redis.Redis(host="127.0.0.1", port=6379, db=15).flushdb()
    shared = {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "TESTING": True,
              "SECRET_KEY": app.config["SECRET_KEY"], "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15"}
    server_a, server_b = create_app(shared), create_app(shared)
    with server_a.app_context():
        user = factories.user("coordinator")
        email = user.email
    try:
        for n in range(10):
            server = server_a if n % 2 else server_b  # two app servers, one count
            with server.app_context():
                assert AuthActions(server.test_client()).login(email, "wrong").status_code == 401
        with server_a.app_context():
            assert AuthActions(server_a.test_client()).login(email, "wrong").status_code == 429
    finally:
        redis.Redis(host="127.0.0.1", port=6379, db=15).flushdb()


# -- cookies and CSRF ------------------------------------------------------------------------

def test_cookies_carry_secure_flags_in_production(monkeypatch, app, make):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "p" * 64)
    production = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                             "RATELIMIT_STORAGE_URI": "memory://"})
    from tests.conftest import AuthActions

    user = make.user("coordinator")
    client = production.test_client()
    response = AuthActions(client).login(user.email, remember="y")
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    for name in ("session", "remember_token"):
        header = next(c for c in cookies if c.startswith(name + "="))
        assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header, header


def test_post_without_csrf_token_is_refused(client, make):
    user = make.user("coordinator")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/coordinator/").status_code == 302


def test_logout_without_csrf_token_is_refused(client, auth, make):
    user = make.user("coordinator")
    auth.login(user.email)
    assert client.post("/logout").status_code == 400
    assert client.get("/coordinator/").status_code == 200


# -- sign-up and approval ----------------------------------------------------------------------

def test_signup_waits_for_approval(client, auth, make):
    response = client.post("/signup", data={
        "email": "new@example.org", "role": "coordinator", "organization": "Riverside Cancer Center",
        "password": PASSWORD, "confirm": PASSWORD, "csrf_token": auth.csrf_token("/signup")})
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "new@example.org"))
    assert user.is_approved is False and user.organization.name == "Riverside Cancer Center"
    auth.login("new@example.org")
    assert client.get("/coordinator/").status_code == 403

    moderator = make.user("moderator")
    mod_client = client.application.test_client()
    from tests.conftest import AuthActions
    mod_auth = AuthActions(mod_client)
    mod_auth.login(moderator.email)
    assert "new@example.org" in mod_client.get("/moderation/").get_data(as_text=True)
    approve = mod_client.post(f"/moderation/accounts/{user.id}/approve", data={"csrf_token": mod_auth.csrf_token("/moderation/")})
    assert approve.status_code == 302
    assert client.get("/coordinator/").status_code == 200


def test_signup_ignores_posted_role_and_approval(client, auth):
    response = client.post("/signup", data={
        "email": "sneaky@example.org", "role": "admin", "organization": "X", "is_approved": "1",
        "password": PASSWORD, "confirm": PASSWORD, "csrf_token": auth.csrf_token("/signup")})
    assert response.status_code == 400
    assert db.session.scalar(select(User)) is None
    client.post("/signup", data={
        "email": "sneaky@example.org", "role": "caseworker", "is_approved": "1", "organization_id": "1",
        "password": PASSWORD, "confirm": PASSWORD, "csrf_token": auth.csrf_token("/signup")})
    user = db.session.scalar(select(User))
    assert user.role == "caseworker" and not user.is_approved and user.organization_id is None


@pytest.mark.parametrize("field, value, message", [
    ("email", "not-an-email", "Invalid email"),
    ("email", "<script>alert(1)</script>@x", "Invalid email"),
    ("password", "short", "at least 12"),
    ("organization", "", "organization"),
    ("organization", "x" * 201, "200"),
])
def test_signup_bad_input_gets_a_clear_message(client, auth, field, value, message):
    data = {"email": "ok@example.org", "role": "coordinator", "organization": "Hope House",
            "password": PASSWORD, "confirm": PASSWORD, field: value, "csrf_token": auth.csrf_token("/signup")}
    if field == "password":
        data["confirm"] = value
    response = client.post("/signup", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert "<script>alert(1)</script>" not in page
    assert db.session.scalar(select(User)) is None


def test_moderator_cannot_approve_themselves(client, auth, make):
    moderator = make.user("moderator", approved=False)
    admin_approved = make.user("moderator")
    auth.login(admin_approved.email)
    token = auth.csrf_token("/moderation/")
    assert client.post(f"/moderation/accounts/{admin_approved.id}/approve", data={"csrf_token": token}).status_code == 403
    assert client.post(f"/moderation/accounts/{moderator.id}/approve", data={"csrf_token": token}).status_code == 302


@pytest.mark.parametrize("role, url, expected", [
    (None, "/coordinator/", 302), (None, "/moderation/", 302),
    ("caseworker", "/coordinator/", 403), ("caseworker", "/moderation/", 403),
    ("coordinator", "/moderation/", 403), ("moderator", "/moderation/", 200), ("admin", "/moderation/", 200),
])
def test_pages_by_role(client, auth, make, role, url, expected):
    if role:
        auth.login(make.user(role).email)
    assert client.get(url).status_code == expected


def test_audit_rows_hold_ids_not_personal_data(auth, make):
    user = make.user("coordinator", email="private.person@example.org")
    auth.login(user.email, "wrong password")
    auth.login(user.email)
    auth.logout()
    events = list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    assert [e.action for e in events] == ["login_failed", "login", "logout"]
    assert all(e.actor_id == user.id and e.object_id == user.id for e in events)
    for event in events:
        assert "private.person" not in repr(vars(event))


def test_a_file_posted_as_a_field_is_not_a_500(client, auth, make):
    import io

    user = make.user("coordinator")
    response = client.post("/login", data={"email": user.email, "csrf_token": auth.csrf_token(),
                                           "password": (io.BytesIO(b"x" * 1000), "password.txt")},
                           content_type="multipart/form-data")
    assert response.status_code == 401
