"""Signing in with a passkey (issue 14, part 5): without a password (user verification counts as
the second factor, under the password form's account rules), as the second factor after the
password, and the signature counter that refuses a cloned authenticator."""
from datetime import timedelta

import pytest
from sqlalchemy import text

from portal.core.time import utcnow
from portal.extensions import db
from portal.models.passkey import Passkey
from portal.models.user import User
from tests.conftest import Auth
from tests.factories import DEFAULT_PASSWORD
from tests.passkey_helpers import (
    SoftAuthenticator,
    csrf,
    events,
    make_passkey,
    passwordless,
    post_json,
    second_factor,
    signed_in_now,
)


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
