"""Every link with a secret in it (issue 14, "the matrices, completed"): password reset, email
confirmation, invitation, email-change confirmation and the calendar feed. A wrong, an expired
and an already used token get 400 (or 404 for the feed) with the plain "This link no longer
works" page: never 200, never a 500. Positive control: a fresh token works.

The email links (verify, email change) show their one-button confirm page on GET whatever the
token (GET never reads or uses the link, so mail scanners cannot spend it); the token is judged
on the POST of that button, which is what these tests send.
"""
import re
import time
from datetime import timedelta

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import select

from portal.accounts import services
from portal.core.time import utcnow
from portal.core.tokens import new_token, token_hash
from portal.extensions import db
from portal.models.user import Invitation, User
from tests.conftest import csrf_from, signed_in

INVALID_PAGE = "This link no longer works"
NEW_PASSWORD = "a brand new passphrase 42"
WRONG = ["nonsense", "a" * 200, "eyJ1aWQiOjF9.Zz.forged"]


@pytest.fixture
def long_ago(monkeypatch):
    """Tokens signed within this block carry a timestamp 30 days old."""
    def sign_then():
        real = TimestampSigner.get_timestamp
        monkeypatch.setattr(TimestampSigner, "get_timestamp",
                            lambda self: int(time.time()) - 30 * 24 * 3600)
        return lambda: monkeypatch.setattr(TimestampSigner, "get_timestamp", real)
    return sign_then


def refused(response, status=400):
    assert response.status_code == status, response.status_code
    if status == 400:
        assert INVALID_PAGE in response.get_data(as_text=True)


def post_confirm(browser, url, **data):
    """POST the link's form with a valid CSRF token (from the sign-in page: one per session)."""
    token = csrf_from(browser.get("/auth/login").get_data(as_text=True))
    return browser.post(url, data={"csrf_token": token, **data})


# --- password reset -------------------------------------------------------------------------
def test_reset_links(app, client, client_user, long_ago):
    for token in WRONG:
        refused(client.get(f"/auth/reset/{token}"))
        refused(post_confirm(client, f"/auth/reset/{token}", password=NEW_PASSWORD))
    restore = long_ago()
    expired = services.make_token(services.RESET_SALT, uid=client_user.id,
                                  pw=services.password_fingerprint(client_user))
    restore()
    refused(client.get(f"/auth/reset/{expired}"))
    fresh = services.make_token(services.RESET_SALT, uid=client_user.id,
                                pw=services.password_fingerprint(client_user))
    assert client.get(f"/auth/reset/{fresh}").status_code == 200  # positive control
    response = post_confirm(client, f"/auth/reset/{fresh}", password=NEW_PASSWORD,
                            confirm=NEW_PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    refused(client.get(f"/auth/reset/{fresh}"))  # used: the password it was made for changed


# --- email confirmation ---------------------------------------------------------------------
def test_verify_links(app, client, factories, long_ago):
    user = factories.make_client(email_verified_at=None)
    for token in WRONG:
        refused(post_confirm(client, f"/auth/verify/{token}"))
    restore = long_ago()
    expired = services.make_token(services.VERIFY_SALT, uid=user.id, email=user.email)
    restore()
    refused(post_confirm(client, f"/auth/verify/{expired}"))
    db.session.expire_all()
    assert db.session.get(User, user.id).email_verified_at is None
    fresh = services.make_token(services.VERIFY_SALT, uid=user.id, email=user.email)
    assert post_confirm(client, f"/auth/verify/{fresh}").status_code == 302  # positive control
    db.session.expire_all()
    assert db.session.get(User, user.id).email_verified_at is not None
    # used: confirming a confirmed address again changes nothing and is no error page
    again = post_confirm(client, f"/auth/verify/{fresh}")
    assert again.status_code not in (200, 500)


# --- invitations ----------------------------------------------------------------------------
def invitation(therapist, email, expires_in=timedelta(days=3), used=False):
    token = new_token()
    db.session.add(Invitation(email=email, therapist_id=therapist.id,
                              token_hash=token_hash(token), created_at=utcnow(),
                              expires_at=utcnow() + expires_in,
                              used_at=utcnow() if used else None))
    db.session.commit()
    return token


def test_invite_links(app, client, therapist):
    for token in WRONG:
        refused(client.get(f"/auth/invite/{token}"))
        refused(post_confirm(client, f"/auth/invite/{token}", name="x"))
    refused(client.get(f"/auth/invite/{invitation(therapist, 'late@example.org', -timedelta(1))}"))
    refused(client.get(f"/auth/invite/{invitation(therapist, 'used@example.org', used=True)}"))
    fresh = invitation(therapist, "fresh@example.org")
    assert client.get(f"/auth/invite/{fresh}").status_code == 200  # positive control


# --- email change ---------------------------------------------------------------------------
def test_email_change_links(app, client, client_user, long_ago):
    def token_for(email):
        return services.make_token(services.CHANGE_EMAIL_SALT, uid=client_user.id, email=email,
                                   pw=services.password_fingerprint(client_user))
    for token in WRONG:
        refused(post_confirm(client, f"/account/email/{token}"))
    restore = long_ago()
    expired = token_for("expired@example.org")
    restore()
    refused(post_confirm(client, f"/account/email/{expired}"))
    fresh = token_for("new@example.org")
    assert post_confirm(client, f"/account/email/{fresh}").status_code == 302  # positive control
    db.session.expire_all()
    assert db.session.get(User, client_user.id).email == "new@example.org"
    refused(post_confirm(client, f"/account/email/{fresh}"))  # used


# --- calendar feed --------------------------------------------------------------------------
def test_calendar_feed_links(app, client, client_user):
    for token in WRONG:
        refused(client.get(f"/calendar/feed/{token}.ics"), 404)
    browser = signed_in(app, client_user)
    token = csrf_from(browser.get("/account/calendar-feed").get_data(as_text=True))
    html = browser.post("/account/calendar-feed", data={"csrf_token": token}).get_data(as_text=True)
    old = re.search(r"/calendar/feed/([A-Za-z0-9_-]+)\.ics", html).group(1)
    assert client.get(f"/calendar/feed/{old}.ics").status_code == 200  # positive control
    browser.post("/account/calendar-feed", data={"csrf_token": token})  # a new URL
    refused(client.get(f"/calendar/feed/{old}.ics"), 404)  # the replaced one: spent
    assert db.session.scalar(select(User.calendar_token_hash).where(
        User.id == client_user.id)) != token_hash(old)
