"""Passkeys (issue 14, part 5): added in account settings after the password, single-use
challenges that expire, removal by the owner only, and the relying party's settings.

A software authenticator (tests/passkey_helpers.py) answers like a phone would, so every
request goes through py_webauthn's real checks. Signing in with a passkey is tested in
tests/test_passkeys_sign_in.py, the practice's rule for clinicians in tests/test_passkeys_rule.py,
the browser flows in tests/e2e/test_passkeys.py.
"""
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select, text

from portal.core.time import utcnow
from portal.extensions import db
from portal.models.passkey import PasskeyChallenge
from portal.models.user import User
from tests.conftest import signed_in
from tests.factories import DEFAULT_PASSWORD
from tests.passkey_helpers import (
    SoftAuthenticator,
    add_passkey,
    csrf,
    events,
    make_passkey,
    passkeys_of,
    passwordless,
    post_json,
)
from tests.test_foundation import _production


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
