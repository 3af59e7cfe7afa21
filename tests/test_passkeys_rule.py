"""The practice's passkey rule (REQUIRE_CLINICIAN_PASSKEYS, issue 14 part 5): a therapist or
admin without a passkey adds one right after signing in, before anything else opens; once they
have one, an authenticator app's code alone no longer signs them in (a passkey or a recovery
code does), and they cannot remove their last one. Clients are not bound by it."""
import pyotp
import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models.audit import AuditEvent
from portal.models.passkey import Passkey
from portal.models.user import User
from tests.conftest import next_totp, signed_in
from tests.factories import DEFAULT_PASSWORD
from tests.passkey_helpers import (
    SoftAuthenticator,
    csrf,
    make_passkey,
    passwordless,
    post_json,
    second_factor,
)
from tests.test_auth_mfa import enrolment_key, post_setup_code, recovery_codes_in

OWN_PASSWORD = "harbor-willow-saffron-73"


@pytest.fixture
def app_config():
    return {"REQUIRE_CLINICIAN_PASSKEYS": True}


def count(user):
    return len(db.session.scalars(select(Passkey).where(Passkey.user_id == user.id)).all())


def add_at_setup(browser, device, name="Work phone"):
    token = csrf(browser, "/auth/passkey/setup")
    options = post_json(browser, "/auth/passkey/setup/options", {"name": name}, token)
    assert options.status_code == 200, options.get_json()
    return post_json(browser, "/auth/passkey/setup",
                     {"name": name, "credential": device.register(options.get_json())}, token)


def test_a_clinician_without_a_passkey_adds_one_before_anything_else(app, therapist):
    browser = signed_in(app, therapist)
    for path in ("/therapist/dashboard", "/account", "/home"):
        response = browser.get(path)
        assert response.headers["Location"] == "/auth/passkey/setup", path
    api = browser.get("/therapist/dashboard", headers={"Accept": "application/json"})
    assert api.status_code == 403 and "passkey" in api.get_json()["error"]["message"]
    page = browser.get("/auth/passkey/setup").get_data(as_text=True)
    assert "Add a passkey to continue" in page and 'for="name"' in page

    response = add_at_setup(browser, SoftAuthenticator())
    assert response.status_code == 200 and response.get_json() == {"redirect": "/home"}
    assert browser.get("/therapist/dashboard").status_code == 200
    assert count(therapist) == 1


def test_the_set_up_page_answers_only_the_clinicians_it_holds(app, client, therapist,
                                                             client_user):
    assert client.get("/auth/passkey/setup").headers["Location"] == "/auth/login"
    token = csrf(client, "/auth/login")
    assert post_json(client, "/auth/passkey/setup/options", {"name": "x"},
                     token).status_code == 401
    device = SoftAuthenticator()
    make_passkey(therapist, device)
    with_passkey = app.test_client()
    assert passwordless(with_passkey, device).status_code == 200
    # one who has a passkey already, and a client (not bound by the rule)
    for browser in (with_passkey, signed_in(app, client_user)):
        assert browser.get("/auth/passkey/setup").headers["Location"] == "/home"
        token = csrf(browser, "/account")
        assert post_json(browser, "/auth/passkey/setup/options", {"name": "x"},
                         token).status_code == 401


def test_clients_are_not_held_by_the_rule(app, client_user):
    assert signed_in(app, client_user).get("/home").status_code == 200


def test_the_password_change_comes_first_then_the_passkey(app, factories):
    therapist = factories.make_therapist(must_change_password=True)
    browser = signed_in(app, therapist)
    assert browser.get("/home").headers["Location"] == "/auth/password/choose"
    token = csrf(browser, "/auth/password/choose")
    browser.post("/auth/password/choose", data={"csrf_token": token, "password": OWN_PASSWORD,
                                                "confirm": OWN_PASSWORD})
    assert browser.get("/home").headers["Location"] == "/auth/passkey/setup"


def pending(app, user):
    browser = app.test_client()
    token = csrf(browser, "/auth/login")
    browser.post("/auth/login", data={"csrf_token": token, "email": user.email,
                                      "password": DEFAULT_PASSWORD})
    return browser


def test_once_they_have_a_passkey_an_app_code_alone_no_longer_signs_in(app, therapist):
    device = SoftAuthenticator()
    make_passkey(therapist, device)
    browser = pending(app, therapist)
    page = browser.get("/auth/mfa").get_data(as_text=True)
    assert "Use my passkey" in page and "Recovery code" in page
    token = csrf(browser, "/auth/mfa")
    response = browser.post("/auth/mfa", data={
        "csrf_token": token, "code": next_totp(therapist.id, therapist.totp_secret)})
    assert "no longer sign in" in response.get_data(as_text=True)
    assert browser.get("/account").status_code == 302
    refused = db.session.scalars(select(AuditEvent).where(
        AuditEvent.event == "login_failure").order_by(AuditEvent.id.desc())).first()
    assert refused.detail == "totp_not_accepted"
    # not counted: no app code works for this account, so guessing gains nothing
    assert db.session.get(User, therapist.id).mfa_failed_count == 0
    # the passkey does
    assert second_factor(browser, device).status_code == 200
    assert browser.get("/therapist/dashboard").status_code == 200


def test_recovery_codes_still_sign_in_under_the_rule(app, factories):
    therapist = factories.make_therapist(with_totp=False)
    codes = _enrol(app, therapist)
    make_passkey(therapist)
    browser = pending(app, therapist)
    token = csrf(browser, "/auth/mfa")
    response = browser.post("/auth/mfa", data={"csrf_token": token, "code": codes[0]})
    assert response.status_code == 302
    assert browser.get("/therapist/dashboard").status_code == 200


def _enrol(app, therapist):
    """Set up TOTP through the real page; returns the recovery codes shown."""
    browser = pending(app, therapist)
    page = browser.get("/auth/mfa/setup").get_data(as_text=True)
    done = post_setup_code(browser, page, pyotp.TOTP(enrolment_key(page)).now())
    return recovery_codes_in(done.get_data(as_text=True))


def test_the_last_passkey_of_a_clinician_cannot_be_removed(app, therapist):
    device = SoftAuthenticator()
    only = make_passkey(therapist, device)
    browser = app.test_client()
    passwordless(browser, device)
    token = csrf(browser, "/account/passkeys")
    response = browser.post(f"/account/passkeys/{only.id}/remove", data={
        f"remove{only.id}-csrf_token": token, f"remove{only.id}-current": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert "cannot remove your only" in browser.get("/account/passkeys").get_data(as_text=True)
    assert count(therapist) == 1
    # with a second one, the first can go
    second = make_passkey(therapist, name="Backup key")
    response = browser.post(f"/account/passkeys/{only.id}/remove", data={
        f"remove{only.id}-csrf_token": token, f"remove{only.id}-current": DEFAULT_PASSWORD})
    assert count(therapist) == 1 and db.session.get(Passkey, second.id) is not None
