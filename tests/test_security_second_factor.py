"""Second factor (issue 14, part 1): wrong codes lock the account on their own count, the set-up
key is fresh for every attempt and lives only in the pending session, and a clinician given a
password by an admin must choose their own before reaching anything."""
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from flask_migrate import upgrade
from sqlalchemy import select, text

from portal.accounts.services import find_user
from portal.extensions import db
from portal.models.audit import AuditEvent
from portal.models.user import User
from tests.conftest import Auth
from tests.factories import DEFAULT_PASSWORD
from tests.test_auth_mfa import (
    assert_signed_out,
    enrolment_key,
    post_setup_code,
    recovery_codes_in,
    wrong_code_for,
)
from tests.test_ops_upgrades import _insert_user, app_for, fresh_database

START = datetime(2030, 3, 4, 9, 0, 5, tzinfo=UTC)  # 5 s into a TOTP window
THRESHOLD = 5
ADMIN_SET_PASSWORD = "maple-lantern-quartz-19"
OWN_PASSWORD = "harbor-willow-saffron-73"


@pytest.fixture
def app_config():
    return {"MFA_LOCKOUT_THRESHOLD": THRESHOLD}


@pytest.fixture
def unenrolled_therapist(factories):
    """A therapist as an admin creates them: two-step sign-in not set up yet."""
    return factories.make_therapist(with_totp=False)


def audited(event):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.event == event)).all()


def reload(user):
    db.session.expire_all()
    return db.session.get(User, user.id)


# --- finding (High): wrong second-factor codes never lock ----------------------------------------
def test_second_factor_guesses_lock_although_the_password_is_right_each_time(
        client, auth, therapist, mailbox):
    with time_machine.travel(START, tick=False):
        wrong = wrong_code_for(therapist.totp_secret)
        for attempt in range(THRESHOLD):
            # The attacker knows the password: every round starts with a correct password step.
            response = auth.login(therapist.email, DEFAULT_PASSWORD)
            assert response.headers["Location"] == "/auth/mfa", attempt
            guess = wrong if attempt % 2 else "abcde-fghjk"  # recovery-code guesses count too
            assert "That code did not work" in auth.post(
                "/auth/mfa", {"code": guess}).get_data(as_text=True)
        assert reload(therapist).locked_until is not None

        # Locked: the password step fails the generic way, even with the right code after it.
        response = auth.login(therapist.email, DEFAULT_PASSWORD)
        assert "That email and password did not work" in response.get_data(as_text=True)
        assert auth.post("/auth/mfa", {"code": pyotp.TOTP(therapist.totp_secret).now()}
                         ).status_code != 302
        assert_signed_out(client)
    [locked_mail] = mailbox.to(therapist.email)
    assert locked_mail["Subject"] == "Sign-in paused on your account"
    assert "code" in mailbox.text_of(locked_mail)
    assert audited("account_locked")


def test_a_correct_second_factor_clears_the_count(client, auth, therapist, mailbox):
    with time_machine.travel(START, tick=False) as traveller:
        wrong = wrong_code_for(therapist.totp_secret)
        auth.login(therapist.email, DEFAULT_PASSWORD)
        for _ in range(THRESHOLD - 1):
            auth.post("/auth/mfa", {"code": wrong})
        response = auth.post("/auth/mfa", {"code": pyotp.TOTP(therapist.totp_secret).now()})
        assert response.headers["Location"] == "/home"
        auth.logout()
        traveller.shift(timedelta(seconds=30))
        auth.login(therapist.email, DEFAULT_PASSWORD)
        for _ in range(THRESHOLD - 1):
            auth.post("/auth/mfa", {"code": wrong_code_for(therapist.totp_secret)})
        assert reload(therapist).locked_until is None
    assert mailbox.to(therapist.email) == []


def test_an_admin_reset_of_two_step_sign_in_clears_the_count(client, auth, therapist, admin):
    with time_machine.travel(START, tick=False):
        for _ in range(THRESHOLD):
            auth.login(therapist.email, DEFAULT_PASSWORD)
            auth.post("/auth/mfa", {"code": wrong_code_for(therapist.totp_secret)})
        assert reload(therapist).locked_until is not None
    admin_auth = Auth(client.application.test_client())
    admin_auth.login(admin.email, DEFAULT_PASSWORD, totp_secret=admin.totp_secret)
    path = f"/admin/users/{therapist.id}"
    admin_auth.post(f"{path}/mfa-reset", {"mfa-current": DEFAULT_PASSWORD}, form_path=path)
    therapist = reload(therapist)
    assert therapist.mfa_failed_count == 0 and therapist.locked_until is None


# --- finding (Medium): the set-up key is fixed by whoever opens the page first -------------------
def test_each_set_up_attempt_gets_a_fresh_key_kept_only_in_the_pending_session(
        app, unenrolled_therapist):
    early = app.test_client()  # someone who learnt the initial password
    early_auth = Auth(early)
    with time_machine.travel(START, tick=False) as traveller:
        early_auth.login(unenrolled_therapist.email, DEFAULT_PASSWORD)
        first = enrolment_key(early.get("/auth/mfa/setup").get_data(as_text=True))
        again = enrolment_key(early.get("/auth/mfa/setup").get_data(as_text=True))
        assert first != again
        assert reload(unenrolled_therapist).totp_secret_enc is None  # not on the user row
        cookie = early.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
        session_data = app.session_interface.get_signing_serializer(app).loads(cookie)
        assert again not in str(session_data) and first not in str(session_data)
        [stored] = db.session.execute(text(
            "SELECT pending_totp_secret FROM user_sessions WHERE user_id = :u "
            "AND pending_totp_secret IS NOT NULL"), {"u": unenrolled_therapist.id}).one()
        assert again not in stored  # encrypted at rest

        real = app.test_client()
        real_auth = Auth(real)
        real_auth.login(unenrolled_therapist.email, DEFAULT_PASSWORD)
        page = real.get("/auth/mfa/setup").get_data(as_text=True)
        mine = enrolment_key(page)
        assert mine not in (first, again)
        response = post_setup_code(real, page, pyotp.TOTP(mine).now())
        assert len(recovery_codes_in(response.get_data(as_text=True))) == 10
        assert db.session.execute(text(
            "SELECT COUNT(*) FROM user_sessions WHERE pending_totp_secret IS NOT NULL")
        ).scalar() == 0

        traveller.shift(timedelta(seconds=30))
        for key in (first, again):  # the early page's keys open nothing
            early_auth.login(unenrolled_therapist.email, DEFAULT_PASSWORD)
            response = early_auth.post("/auth/mfa", {"code": pyotp.TOTP(key).now()})
            assert "That code did not work" in response.get_data(as_text=True)
            assert_signed_out(early)
        real_auth.logout()
        real_auth.login(unenrolled_therapist.email, DEFAULT_PASSWORD)
        response = real_auth.post("/auth/mfa", {"code": pyotp.TOTP(mine).now()})
        assert response.headers["Location"] == "/home"  # the real user's key works


# --- a clinician's first sign-in with an admin-set password --------------------------------------
def admin_creates_therapist(app, admin, email="dr.new@example.com"):
    admin_auth = Auth(app.test_client())
    admin_auth.login(admin.email, DEFAULT_PASSWORD, totp_secret=admin.totp_secret)
    response = admin_auth.post("/admin/users", {
        "name": "Dr. New", "email": email, "role": "therapist", "timezone": "America/Chicago",
        "password": ADMIN_SET_PASSWORD}, form_path="/admin/users")
    assert response.status_code == 302
    return find_user(email)


def sign_in_and_enrol(client, auth, email, password):
    auth.login(email, password)
    page = client.get("/auth/mfa/setup").get_data(as_text=True)
    key = enrolment_key(page)
    response = post_setup_code(client, page, pyotp.TOTP(key).now())
    assert len(recovery_codes_in(response.get_data(as_text=True))) == 10
    return key


def test_admin_created_therapist_must_choose_a_password_before_the_dashboard(
        app, client, auth, admin, mailbox):
    user = admin_creates_therapist(app, admin)
    assert user.must_change_password
    sign_in_and_enrol(client, auth, user.email, ADMIN_SET_PASSWORD)

    for path in ("/therapist/dashboard", "/home", "/account", "/therapist/clients"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"] == "/auth/password/choose", path
    api = client.get("/home", headers={"Accept": "application/json"})
    assert api.status_code == 403
    assert client.get("/crisis").status_code == 200
    assert client.get("/auth/password/choose").status_code == 200

    same = auth.post("/auth/password/choose", {"password": ADMIN_SET_PASSWORD,
                                               "confirm": ADMIN_SET_PASSWORD})
    assert same.status_code == 400
    assert "the password you were given" in same.get_data(as_text=True)
    weak = auth.post("/auth/password/choose", {"password": "password1234",
                                               "confirm": "password1234"})
    assert weak.status_code == 400 and reload(user).must_change_password

    response = auth.post("/auth/password/choose", {"password": OWN_PASSWORD,
                                                   "confirm": OWN_PASSWORD})
    assert response.status_code == 302
    assert client.get("/therapist/dashboard").status_code == 200  # positive control
    user = reload(user)
    assert not user.must_change_password
    assert [e.object_id for e in audited("initial_password_changed")] == [str(user.id)]
    assert client.get("/auth/password/choose").status_code == 302  # nothing left to choose


def test_until_the_password_is_chosen_sign_out_still_works(app, client, auth, admin):
    user = admin_creates_therapist(app, admin)
    sign_in_and_enrol(client, auth, user.email, ADMIN_SET_PASSWORD)
    page = client.get("/auth/password/choose").get_data(as_text=True)
    assert 'action="/auth/logout"' in page
    auth.post("/auth/logout", {}, form_path="/auth/password/choose")
    assert client.get("/auth/password/choose").headers["Location"] == "/auth/login"


def test_create_user_command_marks_clinicians_not_clients(app, therapist):
    runner = app.test_cli_runner()
    for role, email in (("therapist", "t@example.com"), ("admin", "a@example.com"),
                        ("client", "c@example.com")):
        args = ["create-user", "--role", role, "--email", email, "--name", "New",
                "--password", "sunlit-orchard-kettle-88"]
        if role == "client":
            args += ["--therapist-email", therapist.email]
        assert runner.invoke(args=args).exit_code == 0
    assert find_user("t@example.com").must_change_password
    assert find_user("a@example.com").must_change_password
    assert not find_user("c@example.com").must_change_password


def test_the_migration_marks_no_existing_account(tmp_path):
    with fresh_database(tmp_path, "second_factor") as url:
        app = app_for(url)
        with app.app_context():
            upgrade(revision="0008_calls_drop_first_connected")
            user_id = _insert_user("old.clinician@example.com")
            with db.engine.begin() as conn:
                conn.execute(text("UPDATE users SET role = 'therapist' WHERE id = :u"),
                             {"u": user_id})
            upgrade(revision="0009_second_factor")
            with db.engine.connect() as conn:
                row = conn.execute(text("SELECT must_change_password, mfa_failed_count FROM users "
                                        "WHERE id = :u"), {"u": user_id}).one()
            assert not row[0] and row[1] == 0
            db.session.remove()
            db.engine.dispose()
