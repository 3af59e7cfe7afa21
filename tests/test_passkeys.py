"""Passkeys (issue 14, part 5): added in account settings after the password, sign-in without a
password (user verification counts as the second factor) or as the second factor, single-use
challenges, the signature counter against cloned authenticators, and removal.

A software authenticator (tests/passkey_helpers.py) answers like a phone would, so every
request goes through py_webauthn's real checks. The practice's rule for clinicians is in
tests/test_passkeys_rule.py; the browser flows in tests/e2e/test_passkeys.py.
"""
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select, text

from portal.core.time import utcnow
from portal.extensions import db
from portal.models.audit import AuditEvent
from portal.models.passkey import Passkey, PasskeyChallenge
from portal.models.user import User
from tests.conftest import Auth, signed_in
from tests.factories import DEFAULT_PASSWORD
from tests.passkey_helpers import (
    SoftAuthenticator,
    add_passkey,
    csrf,
    make_passkey,
    passwordless,
    post_json,
    second_factor,
)
from tests.test_foundation import _production


def events(name):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.event == name)
                              .order_by(AuditEvent.id)).all()


def passkeys_of(user):
    return db.session.scalars(select(Passkey).where(Passkey.user_id == user.id)).all()


def signed_in_now(client):
    return client.get("/account").status_code == 200


# --- adding a passkey ------------------------------------------------------------------------
def test_a_client_adds_a_named_passkey_after_giving_their_password(app, client_user, mailbox):
    browser = signed_in(app, client_user)
    response = add_passkey(browser, SoftAuthenticator(), name="My phone")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"redirect": "/account/passkeys"}
    [passkey] = passkeys_of(client_user)
    assert passkey.name == "My phone" and passkey.transports == "internal"
    assert passkey.sign_count == 0 and passkey.last_used_at is None
    page = browser.get("/account/passkeys").get_data(as_text=True)
    assert "My phone" in page and "is added" in page
    [row] = events("passkey_registered")
    assert row.actor_id == client_user.id and row.object_id == str(passkey.id)
    assert mailbox.to(client_user.email)[-1]["Subject"] == "A passkey was added to your account"


def test_the_name_is_stored_encrypted(app, client_user):
    add_passkey(signed_in(app, client_user), SoftAuthenticator(), name="Office laptop")
    raw = db.session.execute(text("SELECT name FROM passkeys")).scalar()
    assert "Office" not in raw and raw.startswith("v1:")


@pytest.mark.parametrize("name, password, field, message", [
    ("", DEFAULT_PASSWORD, "name", "Please give this passkey a name."),
    ("x" * 61, DEFAULT_PASSWORD, "name", "at most 60 characters"),
    ("My phone", "not-my-password", "current", "not your current password"),
    ("My phone", "", "current", "Please enter your current password."),
])
def test_adding_a_passkey_is_refused_with_a_message_on_the_field(app, client_user, name,
                                                                  password, field, message):
    browser = signed_in(app, client_user)
    response = add_passkey(browser, SoftAuthenticator(), name=name, password=password)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["field"] == field and message in error["message"]
    assert passkeys_of(client_user) == []


def test_a_wrong_password_when_adding_counts_toward_the_lockout(app, client_user):
    add_passkey(signed_in(app, client_user), SoftAuthenticator(), password="not-my-password")
    assert db.session.get(User, client_user.id).failed_login_count == 1


def test_a_registration_answer_works_once(app, client_user):
    browser = signed_in(app, client_user)
    token = csrf(browser, "/account/passkeys")
    options = post_json(browser, "/account/passkeys/options",
                        {"name": "Phone", "current": DEFAULT_PASSWORD}, token).get_json()
    answer = SoftAuthenticator().register(options)
    first = post_json(browser, "/account/passkeys", {"name": "Phone", "credential": answer}, token)
    assert db.session.scalars(select(PasskeyChallenge)).all() == []  # answered: deleted
    again = post_json(browser, "/account/passkeys", {"name": "Phone", "credential": answer}, token)
    assert first.status_code == 200 and again.status_code == 400
    assert len(passkeys_of(client_user)) == 1
    assert events("passkey_registration_failed")[-1].detail == "no_challenge"


def test_a_replayed_cookie_cannot_use_a_challenge_twice(app, client_user):
    """The challenge also lives as a row that answering deletes: an old cookie holding it is
    no use once it was answered."""
    browser = signed_in(app, client_user)
    token = csrf(browser, "/account/passkeys")
    options = post_json(browser, "/account/passkeys/options",
                        {"name": "Phone", "current": DEFAULT_PASSWORD}, token).get_json()
    old_cookie = browser.get_cookie("portal_session").value
    device = SoftAuthenticator()
    answer = device.register(options)
    assert post_json(browser, "/account/passkeys", {"name": "A", "credential": answer},
                     token).status_code == 200
    browser.set_cookie("portal_session", old_cookie)
    again = post_json(browser, "/account/passkeys", {"name": "B", "credential": answer}, token)
    assert again.status_code == 400 and len(passkeys_of(client_user)) == 1


def test_a_challenge_expires_after_five_minutes(app, client_user):
    browser = signed_in(app, client_user)
    token = csrf(browser, "/account/passkeys")
    options = post_json(browser, "/account/passkeys/options",
                        {"name": "Phone", "current": DEFAULT_PASSWORD}, token).get_json()
    answer = SoftAuthenticator().register(options)
    with time_machine.travel(utcnow() + timedelta(minutes=5, seconds=5)):
        late = post_json(browser, "/account/passkeys", {"name": "A", "credential": answer}, token)
    assert late.status_code == 400 and passkeys_of(client_user) == []


def test_a_passkey_made_for_another_site_is_refused(app, client_user):
    phished = SoftAuthenticator(origin="https://portal-login.example")
    response = add_passkey(signed_in(app, client_user), phished)
    assert response.status_code == 400 and passkeys_of(client_user) == []
    assert events("passkey_registration_failed")[-1].detail == "invalid_registration"


def test_one_device_holds_one_passkey_per_account(app, client_user):
    browser = signed_in(app, client_user)
    device = SoftAuthenticator()
    assert add_passkey(browser, device).status_code == 200
    token = csrf(browser, "/account/passkeys")
    options = post_json(browser, "/account/passkeys/options",
                        {"name": "Again", "current": DEFAULT_PASSWORD}, token).get_json()
    assert [c["id"] for c in options["excludeCredentials"]] == [device.id]
    assert options["authenticatorSelection"]["residentKey"] == "required"
    # a browser that ignores the exclusion list is refused by the server
    again = post_json(browser, "/account/passkeys",
                      {"name": "Again", "credential": device.register(options)}, token)
    assert again.status_code == 400 and len(passkeys_of(client_user)) == 1


def test_every_passkey_of_an_account_carries_the_same_random_user_handle(app, client_user,
                                                                         other_client):
    browser = signed_in(app, client_user)
    add_passkey(browser, SoftAuthenticator(), name="One")
    add_passkey(browser, SoftAuthenticator(), name="Two")
    add_passkey(signed_in(app, other_client), SoftAuthenticator(), name="Theirs")
    one, two = passkeys_of(client_user)
    [theirs] = passkeys_of(other_client)
    assert one.user_handle == two.user_handle and len(one.user_handle) == 32
    assert theirs.user_handle != one.user_handle


# --- passwordless sign-in --------------------------------------------------------------------
def test_a_passkey_signs_in_without_a_password(app, client, client_user):
    device = SoftAuthenticator()
    passkey = make_passkey(client_user, device)
    response = passwordless(client, device, next_url="/journal")
    assert response.status_code == 200 and response.get_json() == {"redirect": "/journal"}
    assert signed_in_now(client)
    passkey = db.session.get(Passkey, passkey.id)
    assert passkey.sign_count == 1 and passkey.last_used_at is not None
    success = events("login_success")[-1]
    assert success.actor_id == client_user.id and success.detail == "passkey"


def test_passwordless_sign_in_needs_user_verification(app, client, client_user):
    device = SoftAuthenticator(user_verified=False)
    make_passkey(client_user, device)
    response = passwordless(client, device)
    assert response.status_code == 400 and "did not work" in response.get_json()["error"]["message"]
    assert not signed_in_now(client)
    assert events("login_failure")[-1].detail == "bad_passkey"


def test_passwordless_options_ask_for_user_verification_and_any_passkey(client):
    token = csrf(client, "/auth/login")
    options = post_json(client, "/auth/passkey/options", {}, token).get_json()
    assert options["userVerification"] == "required" and options["allowCredentials"] == []
    assert options["rpId"] == "localhost"


@pytest.mark.parametrize("state, detail", [
    ({"locked_until": "future"}, "locked"),
    ({"is_active_account": False}, "deactivated"),
    ({"email_verified_at": None}, "email_unverified"),
])
def test_passwordless_sign_in_respects_the_account_rules(app, client, client_user, state, detail):
    device = SoftAuthenticator()
    make_passkey(client_user, device)
    user = db.session.get(User, client_user.id)
    for name, value in state.items():
        setattr(user, name, utcnow() + timedelta(minutes=10) if value == "future" else value)
    db.session.commit()
    response = passwordless(client, device)
    assert response.status_code == 400 and not signed_in_now(client)
    assert events("login_failure")[-1].detail == detail


def test_an_unknown_passkey_does_not_sign_in(client, client_user):
    response = passwordless(client, SoftAuthenticator())
    assert response.status_code == 400 and not signed_in_now(client)
    assert events("login_failure")[-1].detail == "unknown_passkey"


def test_passwordless_failures_do_not_lock_the_account(app, client, client_user):
    """A signature cannot be guessed; counting refusals would let anyone lock the account."""
    device = SoftAuthenticator(user_verified=False)
    make_passkey(client_user, device)
    for _ in range(12):
        passwordless(client, device)
    user = db.session.get(User, client_user.id)
    assert user.locked_until is None and user.mfa_failed_count == 0


def test_a_passkey_sign_in_starts_a_fresh_session(app, client, client_user):
    device = SoftAuthenticator()
    make_passkey(client_user, device)
    client.get("/auth/login")
    before = client.get_cookie("portal_session").value
    passwordless(client, device)
    assert client.get_cookie("portal_session").value != before
    rows = db.session.execute(text("SELECT mfa_passed_at FROM user_sessions")).all()
    assert len(rows) == 1 and rows[0][0] is not None  # both factors at once


def test_a_clinician_given_a_password_signs_in_with_a_passkey_then_chooses_their_own(
        app, client, therapist):
    device = SoftAuthenticator()
    make_passkey(therapist, device)
    user = db.session.get(User, therapist.id)
    user.must_change_password = True
    db.session.commit()
    response = passwordless(client, device)
    assert response.get_json() == {"redirect": "/auth/password/choose"}
    assert client.get("/therapist/dashboard").headers["Location"] == "/auth/password/choose"


# --- the second factor -----------------------------------------------------------------------
def test_a_passkey_is_the_second_factor_after_the_password(app, client, auth, therapist):
    device = SoftAuthenticator()
    make_passkey(therapist, device)
    auth.login(therapist.email, DEFAULT_PASSWORD)
    assert not signed_in_now(client)
    page = client.get("/auth/mfa").get_data(as_text=True)
    assert "Use my passkey" in page
    response = second_factor(client, device)
    assert response.status_code == 200 and response.get_json() == {"redirect": "/home"}
    assert signed_in_now(client)
    assert events("mfa_success")[-1].detail == "passkey"


def test_second_factor_options_name_only_the_users_passkeys(app, client, auth, therapist,
                                                            other_therapist):
    mine = make_passkey(therapist)
    make_passkey(other_therapist)
    auth.login(therapist.email, DEFAULT_PASSWORD)
    token = csrf(client, "/auth/mfa")
    options = post_json(client, "/auth/mfa/passkey/options", {}, token).get_json()
    assert [c["id"] for c in options["allowCredentials"]] == [mine.credential_id]


def test_another_persons_passkey_is_no_second_factor_and_counts_as_a_failure(
        app, client, auth, therapist, other_therapist):
    make_passkey(therapist)
    theirs = SoftAuthenticator()
    make_passkey(other_therapist, theirs)
    auth.login(therapist.email, DEFAULT_PASSWORD)
    response = second_factor(client, theirs)
    assert response.status_code == 400 and not signed_in_now(client)
    assert db.session.get(User, therapist.id).mfa_failed_count == 1


def test_codes_still_work_beside_a_passkey(app, client, auth, therapist):
    make_passkey(therapist)
    auth.login(therapist.email, DEFAULT_PASSWORD, totp_secret=therapist.totp_secret)
    assert signed_in_now(client)


def test_a_passkey_second_factor_needs_the_password_step_first(client, therapist):
    device = SoftAuthenticator()
    make_passkey(therapist, device)
    token = csrf(client, "/auth/login")
    response = post_json(client, "/auth/mfa/passkey/options", {}, token)
    assert response.status_code == 401


# --- the signature counter -------------------------------------------------------------------
def test_a_cloned_authenticator_whose_counter_went_back_is_refused(app, client_user):
    device = SoftAuthenticator()
    passkey = make_passkey(client_user, device)
    assert passwordless(app.test_client(), device).status_code == 200  # counter 1
    assert passwordless(app.test_client(), device).status_code == 200  # counter 2
    clone = device.clone(sign_count=0)
    copy_browser = app.test_client()
    refused = passwordless(copy_browser, clone)  # reports 1, the server saw 2
    assert refused.status_code == 400 and not signed_in_now(copy_browser)
    [suspected] = events("passkey_clone_suspected")
    assert suspected.object_id == str(passkey.id) and suspected.outcome == "failure"
    assert events("login_failure")[-1].detail == "passkey_counter_not_increased"
    assert db.session.get(Passkey, passkey.id).sign_count == 2
    # the genuine device goes on counting and signing in
    assert passwordless(app.test_client(), device).status_code == 200


def test_a_counter_that_stays_the_same_is_refused_too(app, client_user):
    device = SoftAuthenticator()
    make_passkey(client_user, device)
    assert passwordless(app.test_client(), device).status_code == 200
    assert passwordless(app.test_client(), device, step=0).status_code == 400


def test_authenticators_that_do_not_count_keep_working(app, client_user):
    """Synced passkeys report 0 every time: no counter, nothing to compare."""
    device = SoftAuthenticator()
    make_passkey(client_user, device)
    for _ in range(2):
        assert passwordless(app.test_client(), device, step=0).status_code == 200


def test_a_clone_at_the_second_factor_counts_as_a_failure(app, client, auth, therapist):
    device = SoftAuthenticator()
    make_passkey(therapist, device)
    auth.login(therapist.email, DEFAULT_PASSWORD)
    assert second_factor(client, device, step=3).status_code == 200
    other = app.test_client()
    Auth(other).login(therapist.email, DEFAULT_PASSWORD)
    assert second_factor(other, device.clone(sign_count=1)).status_code == 400
    assert events("passkey_clone_suspected")
    assert db.session.get(User, therapist.id).mfa_failed_count == 1


# --- removing --------------------------------------------------------------------------------
def remove(browser, passkey_id, password=DEFAULT_PASSWORD):
    token = csrf(browser, "/account/passkeys")
    return browser.post(f"/account/passkeys/{passkey_id}/remove",
                        data={f"remove{passkey_id}-csrf_token": token,
                              f"remove{passkey_id}-current": password})


def test_the_owner_removes_a_passkey_with_their_password(app, client_user, mailbox):
    device = SoftAuthenticator()
    passkey_id = make_passkey(client_user, device).id
    browser = signed_in(app, client_user)
    response = remove(browser, passkey_id)
    assert response.status_code == 302 and passkeys_of(client_user) == []
    assert events("passkey_removed")[-1].object_id == str(passkey_id)
    assert "removed from" in mailbox.text_of(mailbox.to(client_user.email)[-1])
    # it signs in no more
    assert passwordless(app.test_client(), device).status_code == 400


def test_removing_needs_the_right_password(app, client_user):
    passkey = make_passkey(client_user)
    response = remove(signed_in(app, client_user), passkey.id, password="wrong-password-1")
    assert response.status_code == 400 and "not your current password" in response.get_data(
        as_text=True)
    assert len(passkeys_of(client_user)) == 1


def test_nobody_removes_another_persons_passkey(app, client_user, other_client):
    passkey = make_passkey(client_user)
    response = remove(signed_in(app, other_client), passkey.id)
    assert response.status_code == 404 and len(passkeys_of(client_user)) == 1
    assert not events("passkey_removed")


def test_an_admin_reset_of_two_step_sign_in_removes_the_passkeys(app, admin, therapist):
    make_passkey(therapist)
    browser = signed_in(app, admin)
    token = csrf(browser, f"/admin/users/{therapist.id}")
    response = browser.post(f"/admin/users/{therapist.id}/mfa-reset",
                            data={"mfa-csrf_token": token, "mfa-current": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert passkeys_of(therapist) == []


# --- bad input -------------------------------------------------------------------------------
@pytest.mark.parametrize("body", [None, [], "text", {"credential": "x"},
                                  {"credential": {"id": 5, "response": []}},
                                  {"credential": {"id": "AAAA", "rawId": "!!", "type": "public-key",
                                                  "response": {"clientDataJSON": "%%"}}},
                                  {"name": {"x": 1}, "current": 5}])
def test_malformed_requests_get_a_plain_refusal_never_a_500(app, client_user, body):
    browser = signed_in(app, client_user)
    token = csrf(browser, "/account/passkeys")
    for path in ("/account/passkeys/options", "/account/passkeys", "/auth/passkey",
                 "/auth/mfa/passkey", "/auth/passkey/setup/options", "/auth/passkey/setup"):
        response = browser.post(path, json=body, headers={"X-CSRFToken": token})
        assert response.status_code in (400, 401), (path, response.status_code)
        assert response.get_json()["error"]["message"], path


# --- the relying party -----------------------------------------------------------------------
def test_configured_rp_id_and_origin_win_over_the_request_host(app, client_user):
    app.config.update(WEBAUTHN_RP_ID="portal.example.com",
                      WEBAUTHN_ORIGIN="https://portal.example.com")
    browser = signed_in(app, client_user)
    token = csrf(browser, "/account/passkeys")
    options = post_json(browser, "/account/passkeys/options",
                        {"name": "Phone", "current": DEFAULT_PASSWORD}, token).get_json()
    assert options["rp"]["id"] == "portal.example.com"
    # a page served under another host name cannot make a passkey for the portal ...
    stray = SoftAuthenticator(origin="http://localhost", rp_id="portal.example.com")
    refused = post_json(browser, "/account/passkeys",
                        {"name": "Phone", "credential": stray.register(options)}, token)
    assert refused.status_code == 400
    # ... the portal's own origin can
    options = post_json(browser, "/account/passkeys/options",
                        {"name": "Phone", "current": DEFAULT_PASSWORD}, token).get_json()
    real = SoftAuthenticator(origin="https://portal.example.com", rp_id="portal.example.com")
    assert post_json(browser, "/account/passkeys", {"name": "Phone",
                     "credential": real.register(options)}, token).status_code == 200


@pytest.mark.parametrize("settings, problem", [
    ({"WEBAUTHN_RP_ID": ""}, "WEBAUTHN_RP_ID and WEBAUTHN_ORIGIN must be set"),
    ({"WEBAUTHN_ORIGIN": ""}, "WEBAUTHN_RP_ID and WEBAUTHN_ORIGIN must be set"),
    ({"WEBAUTHN_ORIGIN": "http://portal.example.com"}, "https:// origin"),
    ({"WEBAUTHN_ORIGIN": "https://portal.example.com/portal"}, "without a path"),
    ({"WEBAUTHN_RP_ID": "example.org"}, "parent domain"),
    ({"WEBAUTHN_RP_ID": "ample.com"}, "parent domain"),  # a suffix, but not a parent domain
])
def test_production_refuses_passkey_settings_that_would_not_work(settings, problem):
    with pytest.raises(RuntimeError, match=problem):
        _production(**settings).validate()


def test_production_accepts_a_parent_domain_as_rp_id():
    _production(WEBAUTHN_RP_ID="example.com").validate()
