"""Passwords: argon2id at OWASP strength, 12-128 characters of any Unicode, no guessable ones;
and the emailed reset link: single use, 60 minutes, void after any change, never past MFA."""
import re
import unicodedata
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import argon2
import pyotp
import pytest
import time_machine
from argon2 import PasswordHasher
from sqlalchemy import func, select, text

from portal.extensions import db
from portal.models.audit import AuditEvent
from portal.models.user import User
from portal.security.passwords import verify_password
from tests.conftest import Auth
from tests.factories import DEFAULT_PASSWORD

START = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
NEW_PASSWORD = "new-orchard-kettle-58"
STRONG_12 = "tqv8-Wm3#zlk"
# 128 characters of emoji, accents, CJK and punctuation, already in NFKC form.
UNICODE_128 = ("🌊 café ñandú 森の小道 ✨ Ærøskøbing Żółć — " * 4)[:128]


def stored_hash(email):
    return db.session.execute(text("SELECT password_hash FROM users WHERE email = :e"),
                              {"e": email}).scalar_one()


def register(auth, email, password, name="Jordan Lee"):
    return auth.post("/auth/register", {"name": name, "email": email, "password": password,
                                        "confirm": password, "timezone": "America/New_York"})


def field_error(page, field_id):
    match = re.search(rf'<p class="error" id="{field_id}-error">([^<]*)</p>', page)
    return match.group(1) if match else None


def change_password(auth, current, new):
    token = auth.csrf("/account")
    return auth.client.post("/account/password", data={
        "pw-csrf_token": token, "pw-current": current, "pw-password": new, "pw-confirm": new})


def request_reset(auth, mailbox, email):
    auth.post("/auth/reset", {"email": email})
    return urlsplit(mailbox.last_link(email)).path


def choose_new_password(auth, link, password=NEW_PASSWORD):
    return auth.post(link, {"password": password, "confirm": password})


def try_dead_link(auth, link, password="another-fresh-password-77"):
    """POST to a link whose page no longer shows the form (token from another page)."""
    return auth.post(link, {"password": password, "confirm": password}, form_path="/auth/reset")


# --- hashing (acceptance 5) -----------------------------------------------------------------
def test_password_hashes_are_argon2id_with_owasp_parameters(client, auth, mailbox, factories):
    factories.make_client()
    register(auth, "jordan@example.com", STRONG_12)
    hashes = db.session.execute(text("SELECT password_hash FROM users")).scalars().all()
    assert len(hashes) == 3  # a therapist and a client from factories, one registered
    for value in hashes:
        assert value.startswith("$argon2id$")
        params = argon2.extract_parameters(value)
        assert params.type is argon2.Type.ID
        assert params.memory_cost >= 19456 and params.time_cost >= 2 and params.parallelism == 1
    assert DEFAULT_PASSWORD not in " ".join(hashes) and STRONG_12 not in " ".join(hashes)


def test_a_hash_with_weaker_parameters_is_upgraded_at_the_next_sign_in(client, auth,
                                                                        factories):
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=2).hash(DEFAULT_PASSWORD)
    user = factories.make_client(password_hash=old)

    assert auth.login(user.email, DEFAULT_PASSWORD).headers["Location"] == "/home"
    upgraded = stored_hash(user.email)
    assert upgraded != old
    params = argon2.extract_parameters(upgraded)
    assert (params.memory_cost, params.time_cost, params.parallelism) >= (19456, 2, 1)
    assert params.parallelism == 1
    assert db.session.scalar(select(func.count()).where(AuditEvent.event == "password_rehash")) == 1

    auth.logout()
    assert auth.login(user.email, DEFAULT_PASSWORD).headers["Location"] == "/home"


def test_a_wrong_password_does_not_upgrade_the_hash(client, auth, factories):
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=2).hash(DEFAULT_PASSWORD)
    user = factories.make_client(password_hash=old)
    auth.login(user.email, "not-the-right-password-at-all")
    assert stored_hash(user.email) == old


# --- what a password may be -----------------------------------------------------------------
@pytest.mark.parametrize(("password", "error"), [
    (STRONG_12[:11], "Use at least 12 characters."),
    (STRONG_12, None),
    (UNICODE_128, None),
    (UNICODE_128 + "x", "Use at most 128 characters."),
])
def test_passwords_of_12_to_128_characters_are_accepted(client, auth, mailbox, password, error):
    response = register(auth, "jordan@example.com", password)
    page = response.get_data(as_text=True)
    created = db.session.scalar(select(func.count()).where(User.email == "jordan@example.com"))
    if error is None:
        assert "Check your email" in page and created == 1
    else:
        assert response.status_code == 200 and created == 0
        assert field_error(page, "password").startswith(error)


@pytest.mark.parametrize("password", [
    "password123456", "qwertyuiop123", "123456789012", "iloveyou1234", "Password1234!",
    "aaaaaaaaaaaaaaa", "jordan@example.com",
])
def test_common_or_guessable_passwords_are_refused_with_advice(client, auth, mailbox, password):
    page = register(auth, "jordan@example.com", password).get_data(as_text=True)
    error = field_error(page, "password")
    assert error is not None and error.startswith("This password would be easy to guess.")
    assert "word" in error  # advice on what to do instead
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
    assert mailbox.messages == []


def test_new_password_fields_do_not_let_the_browser_cut_long_unicode_passwords(client, auth,
                                                                               factories):
    """maxlength counts UTF-16 units: 128 emoji would be cut to 64 when pasted."""
    register_page = client.get("/auth/register").get_data(as_text=True)
    user = factories.make_client()
    auth.login(user.email, DEFAULT_PASSWORD)
    account_page = client.get("/account").get_data(as_text=True)
    for page, name in ((register_page, "password"), (account_page, "pw-password")):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
        assert "maxlength" not in tag
    assert "Use 12 to 128 characters" in register_page


def test_a_long_unicode_password_works_end_to_end_and_is_not_truncated(app, client, auth,
                                                                       factories, mailbox):
    assert len(UNICODE_128) == 128 and unicodedata.normalize("NFKC", UNICODE_128) == UNICODE_128
    user = factories.make_client()
    auth.login(user.email, DEFAULT_PASSWORD)
    assert change_password(auth, DEFAULT_PASSWORD, UNICODE_128).status_code == 302
    auth.logout()

    differs_at_100 = UNICODE_128[:100] + "X" + UNICODE_128[101:]
    differs_at_end = UNICODE_128[:127] + "!"
    for almost in (differs_at_100, differs_at_end, UNICODE_128[:72], UNICODE_128[:127]):
        visitor = Auth(app.test_client())
        assert visitor.login(user.email, almost).status_code == 200, "a near miss signed in"
    response = auth.login(user.email, UNICODE_128)
    assert response.headers["Location"] == "/home"


def test_full_width_digits_match_their_ascii_form(client, auth, factories):
    user = factories.make_client(password="quiet-orchard-4821-maple")
    response = auth.login(user.email, "quiet-orchard-\uff14\uff18\uff12\uff11-maple")
    assert response.headers["Location"] == "/home"


# --- reset by email -------------------------------------------------------------------------
def test_a_reset_link_works_once(app, client, auth, factories, mailbox):
    user = factories.make_client()
    link = request_reset(auth, mailbox, user.email)
    assert "Choose a new password" in client.get(link).get_data(as_text=True)

    response = choose_new_password(auth, link)
    assert response.headers["Location"] == "/auth/login"
    assert verify_password(stored_hash(user.email), NEW_PASSWORD)

    again = client.get(link)
    assert again.status_code == 400
    assert "This link no longer works" in again.get_data(as_text=True)
    stranger = Auth(app.test_client())
    assert try_dead_link(stranger, link).status_code == 400
    assert verify_password(stored_hash(user.email), NEW_PASSWORD)
    assert auth.login(user.email, NEW_PASSWORD).headers["Location"] == "/home"


def test_a_reset_link_expires_after_sixty_minutes(client, auth, factories, mailbox):
    user = factories.make_client()
    with time_machine.travel(START, tick=False) as traveller:
        link = request_reset(auth, mailbox, user.email)
        traveller.shift(timedelta(minutes=59))
        assert client.get(link).status_code == 200
        traveller.shift(timedelta(minutes=2))
        assert client.get(link).status_code == 400
        assert try_dead_link(auth, link).status_code == 400
    assert verify_password(stored_hash(user.email), DEFAULT_PASSWORD)


def test_a_reset_link_dies_when_the_password_is_changed_another_way(client, auth, factories,
                                                                    mailbox):
    user = factories.make_client()
    link = request_reset(auth, mailbox, user.email)
    auth.login(user.email, DEFAULT_PASSWORD)
    assert change_password(auth, DEFAULT_PASSWORD, NEW_PASSWORD).status_code == 302
    auth.logout()

    assert client.get(link).status_code == 400
    assert try_dead_link(auth, link).status_code == 400
    assert verify_password(stored_hash(user.email), NEW_PASSWORD)


def test_a_reset_does_not_skip_the_second_factor(client, auth, therapist, mailbox):
    link = request_reset(auth, mailbox, therapist.email)
    choose_new_password(auth, link)

    response = auth.login(therapist.email, NEW_PASSWORD)
    assert response.headers["Location"] == "/auth/mfa"
    response = client.get("/therapist/clients")
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")
    response = auth.post("/auth/mfa", {"code": pyotp.TOTP(therapist.totp_secret).now()})
    assert response.headers["Location"] == "/home"
    assert client.get("/therapist/clients").status_code == 200


def test_a_reset_signs_out_every_session(app, client, auth, factories, mailbox):
    user = factories.make_client()
    phone = Auth(app.test_client())
    phone.login(user.email, DEFAULT_PASSWORD)
    assert phone.client.get("/home").status_code == 200

    choose_new_password(auth, request_reset(auth, mailbox, user.email))
    response = phone.client.get("/home")
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")


def test_reset_requests_for_known_and_unknown_emails_look_the_same(client, auth, factories,
                                                                   mailbox):
    known = factories.make_client(email="known.person@example.com")
    unknown = "nobdy.person@example.com"

    def answer(email):
        response = auth.post("/auth/reset", {"email": email})
        body = re.sub(r'nonce="[^"]+"', "", response.get_data(as_text=True))
        return response.status_code, body.replace(email, "EMAIL")

    assert answer(known.email) == answer(unknown)
    assert len(mailbox.to(known.email)) == 1 and mailbox.to(unknown) == []
