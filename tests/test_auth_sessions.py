"""Server-side sessions: a new id at sign-in, revoked on logout, idle and absolute limits,
and a password change that signs out every other device."""
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import time_machine
from sqlalchemy import func, select

from portal.extensions import db
from portal.models.user import UserSession
from portal.security.passwords import verify_password
from tests.conftest import Auth
from tests.factories import DEFAULT_PASSWORD

START = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
NEW_PASSWORD = "new-orchard-kettle-58"
COOKIE = "portal_session"


def cookie_value(client):
    cookie = client.get_cookie(COOKIE)
    return cookie.value if cookie else None


def cookie_state(app, client):
    """The decoded Flask session the browser holds."""
    return app.session_interface.get_signing_serializer(app).loads(cookie_value(client))


def login_target(response):
    """The path of a redirect and its `next` values."""
    url = urlsplit(response.headers["Location"])
    return url.path, parse_qs(url.query).get("next")


def session_rows(user):
    return db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)
                              .order_by(UserSession.id)).all()


def change_password(auth, current, new):
    token = auth.csrf("/account")
    return auth.client.post("/account/password", data={
        "pw-csrf_token": token, "pw-current": current, "pw-password": new, "pw-confirm": new})


# --- rotation -------------------------------------------------------------------------------
def test_sign_in_issues_a_new_session_id_and_drops_the_old_cookie_state(app, client, auth,
                                                                       factories):
    user = factories.make_client()
    login_page = client.get("/auth/login")
    before = cookie_value(client)
    state_before = cookie_state(app, client)
    assert "csrf_token" in state_before and "sid" not in state_before
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0

    assert auth.login(user.email, DEFAULT_PASSWORD).headers["Location"] == "/home"

    after = cookie_value(client)
    state_after = cookie_state(app, client)
    assert after != before
    assert set(state_after) - {"_permanent"} == {"sid"}  # the pre-login CSRF secret is gone
    [row] = session_rows(user)
    assert row.revoked_at is None and row.mfa_passed_at is not None

    # A form token from before sign-in no longer passes.
    from tests.conftest import csrf_from
    stale = csrf_from(login_page.get_data(as_text=True))
    response = client.post("/account/timezone", data={"tz-csrf_token": stale,
                                                      "tz-timezone": "Europe/London"})
    assert response.status_code == 400
    assert user.timezone == "America/New_York"


def test_signing_in_again_replaces_the_previous_session(app, client, auth, factories):
    user = factories.make_client()
    auth.login(user.email, DEFAULT_PASSWORD)
    first_sid = cookie_state(app, client)["sid"]
    auth.logout()
    auth.login(user.email, DEFAULT_PASSWORD)
    second_sid = cookie_state(app, client)["sid"]
    assert first_sid != second_sid
    first, second = session_rows(user)
    assert first.revoked_at is not None and second.revoked_at is None


def test_passing_the_second_factor_issues_a_new_session_id(app, client, auth, therapist):
    """The id that existed after the password step alone must not become a full sign-in
    (otherwise a cookie planted before the victim's second factor would ride along)."""
    auth.login(therapist.email, DEFAULT_PASSWORD)
    pending = cookie_value(client)
    pending_sid = cookie_state(app, client)["sid"]

    import pyotp
    response = auth.post("/auth/mfa", {"code": pyotp.TOTP(therapist.totp_secret).now()})
    assert response.status_code == 302
    assert cookie_state(app, client)["sid"] != pending_sid
    assert client.get("/therapist/clients").status_code == 200

    planted = app.test_client()
    planted.set_cookie(COOKIE, pending)
    response = planted.get("/therapist/clients")
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")


# --- logout ---------------------------------------------------------------------------------
def test_a_cookie_copied_before_logout_is_refused_afterwards(app, client, auth, factories):
    user = factories.make_client()
    auth.login(user.email, DEFAULT_PASSWORD)
    copied = cookie_value(client)

    thief = app.test_client()
    thief.set_cookie(COOKIE, copied)
    assert thief.get("/account").status_code == 200  # the copy works while the session lives

    response = auth.logout()
    assert response.headers["Location"] == "/auth/login"
    assert client.get("/home").status_code == 302

    replay = app.test_client()
    replay.set_cookie(COOKIE, copied)
    response = replay.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")
    [row] = session_rows(user)
    assert row.revoke_reason == "logout"


# --- timeouts -------------------------------------------------------------------------------
def test_thirty_minutes_without_activity_signs_out(client, auth, factories):
    user = factories.make_client()
    with time_machine.travel(START, tick=False) as traveller:
        auth.login(user.email, DEFAULT_PASSWORD)
        traveller.shift(timedelta(minutes=29))
        assert client.get("/home").status_code == 200

        traveller.shift(timedelta(minutes=31))
        response = client.get("/home")
        assert response.status_code == 302
        assert login_target(response) == ("/auth/login", ["/home"])
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "signed out after 30 minutes without activity" in page
        assert client.get("/home").status_code == 302
    [row] = session_rows(user)
    assert row.revoke_reason == "idle_timeout"


def test_sessions_end_after_twelve_hours_even_when_active(client, auth, factories):
    user = factories.make_client()
    with time_machine.travel(START, tick=False) as traveller:
        auth.login(user.email, DEFAULT_PASSWORD)
        for _ in range(35):  # every 20 minutes up to 11 h 40
            traveller.shift(timedelta(minutes=20))
            assert client.get("/home").status_code == 200
        traveller.move_to(START + timedelta(hours=12, minutes=1))
        response = client.get("/home")
        assert response.status_code == 302
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "sign-ins last at most 12 hours" in page
    [row] = session_rows(user)
    assert row.revoke_reason == "absolute_timeout"


# --- password change ------------------------------------------------------------------------
def test_changing_the_password_signs_out_every_other_session(app, client, auth, factories,
                                                             mailbox):
    user = factories.make_client()
    laptop, phone = auth, Auth(app.test_client())
    laptop.login(user.email, DEFAULT_PASSWORD)
    phone.login(user.email, DEFAULT_PASSWORD)
    assert phone.client.get("/home").status_code == 200

    response = change_password(laptop, DEFAULT_PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/account"

    assert laptop.client.get("/account").status_code == 200  # the device that changed it
    response = phone.client.get("/account")
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")
    assert verify_password(user.password_hash, NEW_PASSWORD)
    assert [m["Subject"] for m in mailbox.to(user.email)] == ["Your password was changed"]


def test_changing_the_password_needs_the_current_one(client, auth, factories):
    user = factories.make_client()
    auth.login(user.email, DEFAULT_PASSWORD)
    old_hash = user.password_hash

    response = change_password(auth, "a-guess-at-the-password", NEW_PASSWORD)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="pw-current-error">That is not your current password.' in page
    assert user.password_hash == old_hash
    assert client.get("/account").status_code == 200
