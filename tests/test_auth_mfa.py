"""Two-step sign-in: mandatory TOTP for clinicians, optional for clients, single-use codes."""
import html
import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from sqlalchemy import text

from portal.extensions import db
from portal.security import mfa
from tests.conftest import csrf_from
from tests.factories import DEFAULT_PASSWORD

# 5 seconds into a 30-second TOTP window, so a frozen clock stays inside it.
START = datetime(2030, 3, 4, 9, 0, 5, tzinfo=UTC)
PROTECTED_PAGES = ["/home", "/account", "/therapist/clients", "/audit/", "/admin/users"]


def assert_signed_out(client, paths=PROTECTED_PAGES):
    """Every protected page answers as for a stranger: off to the sign-in page."""
    for path in paths:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/auth/login"), path
    response = client.get("/home", headers={"Accept": "application/json"})
    assert response.status_code == 401


def enrolment_key(page):
    match = re.search(r'id="totp-key">([A-Z2-7 ]+)</p>', page)
    assert match, "the key is not shown as text"
    return match.group(1).replace(" ", "")


def post_setup_code(client, page, code):
    """Post a code from the set-up page as a browser does, without loading the page again
    (every visit shows a fresh key)."""
    return client.post("/auth/mfa/setup", data={"csrf_token": csrf_from(page), "code": code})


def recovery_codes_in(page):
    return re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", page)


@pytest.fixture
def unenrolled_therapist(factories):
    """A therapist as an admin creates them: two-step sign-in not set up yet."""
    return factories.make_therapist(with_totp=False)


def wrong_code_for(secret):
    """A 6-digit code that is not valid in the current, previous or next window."""
    totp = pyotp.TOTP(secret)
    now = totp.timecode(datetime.now(UTC))
    valid = {totp.generate_otp(c) for c in (now - 1, now, now + 1)}
    return next(c for c in ("123456", "654321", "111111") if c not in valid)


# --- clinicians -----------------------------------------------------------------------------
def test_therapist_first_sign_in_forces_totp_enrolment(client, auth, unenrolled_therapist):
    response = auth.login(unenrolled_therapist.email, DEFAULT_PASSWORD)
    assert response.headers["Location"] == "/auth/mfa/setup"
    assert_signed_out(client)
    assert client.get("/auth/mfa").headers["Location"] == "/auth/mfa/setup"

    page = client.get("/auth/mfa/setup").get_data(as_text=True)
    assert re.search(r'<div class="qr">\s*<svg', page), "the QR code is inline SVG"
    assert "<img" not in page
    key = enrolment_key(page)
    assert len(key) == 32 and pyotp.TOTP(key).provisioning_uri()  # a valid base32 secret

    response = post_setup_code(client, page, pyotp.TOTP(key).now())
    assert response.status_code == 200
    codes = recovery_codes_in(response.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/therapist/clients").status_code == 200
    assert unenrolled_therapist.mfa_enabled_at is not None
    assert mfa.user_secret(unenrolled_therapist) == key


def test_a_wrong_enrolment_code_does_not_turn_on_two_step_sign_in(client, auth, unenrolled_therapist):
    auth.login(unenrolled_therapist.email, DEFAULT_PASSWORD)
    page = client.get("/auth/mfa/setup").get_data(as_text=True)
    response = post_setup_code(client, page, wrong_code_for(enrolment_key(page)))
    assert "That code did not match" in response.get_data(as_text=True)
    assert unenrolled_therapist.mfa_enabled_at is None
    assert_signed_out(client)


def test_after_enrolment_the_password_alone_reaches_nothing(client, auth, admin):
    response = auth.login(admin.email, DEFAULT_PASSWORD)  # an admin: the most to protect
    assert response.headers["Location"] == "/auth/mfa"
    assert_signed_out(client)
    assert client.get("/auth/mfa/setup").headers["Location"] == "/auth/login"  # no re-enrolling
    keepalive = auth.post("/auth/keepalive", {}, form_path="/auth/mfa",
                          headers={"Accept": "application/json"})
    assert keepalive.status_code == 401

    response = auth.post("/auth/mfa", {"code": pyotp.TOTP(admin.totp_secret).now()})
    assert response.headers["Location"] == "/home"
    for path in PROTECTED_PAGES[1:]:
        assert client.get(path).status_code == 200, path


def test_a_totp_code_cannot_be_used_twice(client, auth, therapist):
    with time_machine.travel(START, tick=False) as traveller:
        code = pyotp.TOTP(therapist.totp_secret).now()
        assert auth.login(therapist.email, DEFAULT_PASSWORD, code=code).status_code == 302
        assert client.get("/therapist/clients").status_code == 200
        auth.logout()

        response = auth.login(therapist.email, DEFAULT_PASSWORD, code=code)  # same window
        assert response.status_code == 200
        assert "That code did not work" in response.get_data(as_text=True)
        assert_signed_out(client)

        traveller.shift(timedelta(seconds=30))  # the next code is fine
        response = auth.post("/auth/mfa", {"code": pyotp.TOTP(therapist.totp_secret).now()})
        assert response.headers["Location"] == "/home"


def test_a_recovery_code_works_once_and_only_once(client, auth, therapist):
    codes = mfa.new_recovery_codes(therapist)
    db.session.commit()

    response = auth.login(therapist.email, DEFAULT_PASSWORD, code=codes[3])
    assert response.headers["Location"] == "/home"
    page = client.get("/therapist/clients").get_data(as_text=True)
    assert "Recovery code accepted. You have 9 left" in html.unescape(page)
    auth.logout()

    response = auth.login(therapist.email, DEFAULT_PASSWORD, code=codes[3])
    assert "That code did not work" in response.get_data(as_text=True)
    assert_signed_out(client)
    assert mfa.remaining_recovery_codes(therapist) == 9


def test_recovery_codes_and_totp_key_are_not_stored_in_clear(client, auth, unenrolled_therapist):
    auth.login(unenrolled_therapist.email, DEFAULT_PASSWORD)
    page = client.get("/auth/mfa/setup").get_data(as_text=True)
    key = enrolment_key(page)
    page = post_setup_code(client, page, pyotp.TOTP(key).now()).get_data(as_text=True)
    codes = recovery_codes_in(page)
    assert len(codes) == 10

    stored = [row[0] for row in db.session.execute(text(
        "SELECT code_hash FROM recovery_codes WHERE user_id = :u"), {"u": unenrolled_therapist.id})]
    assert len(stored) == 10
    dump = " ".join(stored)
    for code in codes:
        assert code not in dump and code.replace("-", "") not in dump
    assert all(re.fullmatch(r"[0-9a-f]{64}", value) for value in stored)

    [secret_column] = db.session.execute(text(
        "SELECT totp_secret_enc FROM users WHERE id = :u"), {"u": unenrolled_therapist.id}).one()
    assert key not in secret_column


def test_wrong_second_factor_codes_count_toward_lockout(client, auth, therapist, mailbox):
    with time_machine.travel(START, tick=False):
        auth.login(therapist.email, DEFAULT_PASSWORD)
        wrong = wrong_code_for(therapist.totp_secret)
        for _ in range(10):
            response = auth.post("/auth/mfa", {"code": wrong})
            assert "That code did not work" in response.get_data(as_text=True)
        assert therapist.locked_until is not None

        response = auth.post("/auth/mfa", {"code": pyotp.TOTP(therapist.totp_secret).now()})
        assert response.status_code == 200  # the right code is refused while locked
        assert_signed_out(client)
        response = auth.login(therapist.email, DEFAULT_PASSWORD)
        assert "That email and password did not work" in response.get_data(as_text=True)
    assert [m["Subject"] for m in mailbox.to(therapist.email)] == [
        "Sign-in paused on your account"]


# --- clients --------------------------------------------------------------------------------
def test_a_client_can_turn_on_two_step_sign_in_and_then_needs_a_code(client, auth, factories):
    user = factories.make_client()
    with time_machine.travel(START, tick=False) as traveller:
        auth.login(user.email, DEFAULT_PASSWORD)
        account = client.get("/account").get_data(as_text=True)
        assert 'href="/auth/mfa/setup"' in account

        page = client.get("/auth/mfa/setup").get_data(as_text=True)
        key = enrolment_key(page)
        response = post_setup_code(client, page, pyotp.TOTP(key).now())
        assert len(recovery_codes_in(response.get_data(as_text=True))) == 10
        assert user.mfa_enabled_at is not None
        assert client.get("/home").status_code == 200
        auth.logout()

        traveller.shift(timedelta(seconds=30))
        response = auth.login(user.email, DEFAULT_PASSWORD)
        assert response.headers["Location"] == "/auth/mfa"
        assert_signed_out(client, ["/home", "/account"])
        response = auth.post("/auth/mfa", {"code": pyotp.TOTP(key).now()})
        assert response.headers["Location"] == "/home"
        assert client.get("/home").status_code == 200


def test_clients_without_two_step_sign_in_need_only_their_password(client, auth, factories):
    user = factories.make_client()
    assert auth.login(user.email, DEFAULT_PASSWORD).headers["Location"] == "/home"


@pytest.mark.parametrize("make", ["make_therapist", "make_admin"])
def test_clinicians_cannot_turn_off_two_step_sign_in(client, auth, factories, make):
    therapist = getattr(factories, make)()
    auth.login(therapist.email, DEFAULT_PASSWORD, totp_secret=therapist.totp_secret)
    account = client.get("/account").get_data(as_text=True)
    assert "Turn off two-step sign-in" not in account

    token = auth.csrf("/account")
    response = client.post("/account/mfa/disable", data={"mfa-csrf_token": token,
                                                         "mfa-current": DEFAULT_PASSWORD})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Two-step sign-in is required for practice staff." in page
    assert therapist.mfa_enabled_at is not None and therapist.totp_secret_enc is not None
