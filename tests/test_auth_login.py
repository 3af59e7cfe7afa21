"""Signing in: per-account lockout, answers that never reveal an account, per-IP rate limits."""
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from portal.core.time import utcnow
from portal.extensions import db
from portal.models.audit import AuditEvent
from tests.factories import DEFAULT_PASSWORD

WRONG_PASSWORD = "not-the-right-password-at-all"
GENERIC_ERROR = "That email and password did not work."
START = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)


def events_of(user):
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.actor_id == user.id)
                              .order_by(AuditEvent.id)).all()
    return [(row.event, row.detail) for row in rows]


def normalised(response, *emails):
    """Status and body with what must differ (CSRF token, CSP nonce, typed email) masked."""
    body = response.get_data(as_text=True)
    body = re.sub(r'(name="(?:[a-z]+-)?csrf_token"[^>]*value=")[^"]+', r"\1CSRF", body)
    body = re.sub(r'nonce="[^"]+"', 'nonce="NONCE"', body)
    for email in emails:
        body = body.replace(email, "EMAIL")
    return response.status_code, response.content_type, body


# --- lockout ---------------------------------------------------------------------------------
def test_ten_failures_in_fifteen_minutes_lock_the_account_for_fifteen_minutes(
        client, auth, factories, mailbox):
    user = factories.make_client()
    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(10):  # one a minute: the 10th comes at 9 minutes, inside the window
            response = auth.login(user.email, WRONG_PASSWORD)
            assert response.status_code == 200
            assert GENERIC_ERROR in response.get_data(as_text=True)
            traveller.shift(timedelta(minutes=1))
        locked_at = START + timedelta(minutes=9)

        # Locked: the correct password is refused with the same generic message.
        response = auth.login(user.email, DEFAULT_PASSWORD)
        assert GENERIC_ERROR in response.get_data(as_text=True)
        assert client.get("/home").status_code == 302

        traveller.move_to(locked_at + timedelta(minutes=14, seconds=50))
        assert GENERIC_ERROR in auth.login(user.email, DEFAULT_PASSWORD).get_data(as_text=True)
        assert client.get("/home").status_code == 302

        traveller.move_to(locked_at + timedelta(minutes=15, seconds=10))
        response = auth.login(user.email, DEFAULT_PASSWORD)
        assert response.status_code == 302 and response.headers["Location"] == "/home"
        assert client.get("/home").status_code == 200

    [email] = mailbox.to(user.email)
    assert email["Subject"] == "Sign-in paused on your account"
    assert "paused for 15 minutes" in mailbox.text_of(email)

    events = events_of(user)
    assert events.count(("login_failure", "bad_password")) == 10
    assert events.count(("account_locked", None)) == 1
    assert events.count(("login_failure", "locked")) == 2
    assert events.index(("account_locked", None)) == 10  # right after the 10th failure
    assert events[-1] == ("login_success", None)


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(client, auth, factories,
                                                                    mailbox):
    user = factories.make_client()
    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(9):
            auth.login(user.email, WRONG_PASSWORD)
        traveller.shift(timedelta(minutes=16))
        auth.login(user.email, WRONG_PASSWORD)  # the 10th, but the first 9 are out of the window
        response = auth.login(user.email, DEFAULT_PASSWORD)
    assert response.headers["Location"] == "/home"
    assert ("account_locked", None) not in events_of(user)
    assert mailbox.to(user.email) == []


# --- identical answers ----------------------------------------------------------------------
def test_unknown_email_wrong_password_and_locked_account_get_the_same_page(client, auth,
                                                                           factories):
    known = factories.make_client(email="known.person@example.com")
    locked = factories.make_client(email="lockd.person@example.com",
                                   locked_until=utcnow() + timedelta(minutes=15))
    unknown = "nobdy.person@example.com"

    pages = [
        normalised(auth.login(unknown, WRONG_PASSWORD), unknown),
        normalised(auth.login(known.email, WRONG_PASSWORD), known.email),
        normalised(auth.login(locked.email, DEFAULT_PASSWORD), locked.email),  # right password
    ]
    assert pages[0][0] == 200 and GENERIC_ERROR in pages[0][2]
    assert pages[0] == pages[1] == pages[2]
    assert client.get("/home").status_code == 302


# --- per-IP rate limit ----------------------------------------------------------------------
@pytest.mark.parametrize("app_config", [{"RATELIMIT_LOGIN": "3 per minute"}])
def test_too_many_sign_in_attempts_from_one_address_get_429(client, auth, factories):
    user = factories.make_client()
    for _ in range(3):
        assert auth.login(user.email, WRONG_PASSWORD).status_code == 200

    page = auth.login(user.email, DEFAULT_PASSWORD)  # even the right password waits
    assert page.status_code == 429
    assert page.content_type.startswith("text/html")
    assert "Please wait a moment" in page.get_data(as_text=True)
    assert int(page.headers["Retry-After"]) > 0

    token = auth.csrf()
    api = client.post("/auth/login", data={"csrf_token": token, "email": user.email,
                                           "password": DEFAULT_PASSWORD},
                      headers={"Accept": "application/json"})
    assert api.status_code == 429
    assert api.get_json()["error"]["status"] == 429
    assert client.get("/home").status_code == 302


@pytest.mark.parametrize("app_config", [{"RATELIMIT_LOGIN": "3 per minute"}])
def test_rate_limit_window_passes_and_sign_in_works_again(client, auth, factories):
    user = factories.make_client()
    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(3):
            auth.login(user.email, WRONG_PASSWORD)
        assert auth.login(user.email, DEFAULT_PASSWORD).status_code == 429
        traveller.shift(timedelta(seconds=61))
        assert auth.login(user.email, DEFAULT_PASSWORD).headers["Location"] == "/home"
