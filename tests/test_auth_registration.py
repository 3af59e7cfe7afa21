"""Registration: a client confirms their email by a signed, expiring link (confirmed by a
button, never by GET) before anything else; therapists invite clients by single-use links."""
import base64
import html
import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import time_machine
from sqlalchemy import func, select

from portal.core.vocabulary import Role
from portal.extensions import db
from portal.models.user import User, UserSession
from portal.security.passwords import verify_password
from tests.conftest import Auth
from tests.factories import DEFAULT_PASSWORD

START = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
PASSWORD = "tulip-compass-river-62"
PROTECTED_PAGES = ["/home", "/account"]


def register(auth, email, name="Jordan Lee", password=PASSWORD, path="/auth/register"):
    return auth.post(path, {"name": name, "email": email, "password": password,
                            "confirm": password, "timezone": "Europe/London"})


def user_by_email(email):
    return db.session.scalar(select(User).where(User.email == email))


def path_of(link):
    return urlsplit(link).path


def confirm(auth, link):
    return auth.post(path_of(link), {})


def assert_nothing_reachable(client):
    for path in PROTECTED_PAGES:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/auth/login"), path


# --- self-registration ----------------------------------------------------------------------
def test_a_new_client_confirms_their_email_before_signing_in(client, auth, mailbox, therapist):
    response = register(auth, "jordan@example.com")
    assert response.status_code == 200
    assert "Check your email" in response.get_data(as_text=True)
    [message] = mailbox.to("jordan@example.com")
    assert message["Subject"] == "Please confirm your email address"
    link = mailbox.last_link("jordan@example.com")

    # Before confirming: the right password shows "confirm first" and signs nobody in.
    page = auth.login("jordan@example.com", PASSWORD).get_data(as_text=True)
    assert "Please confirm your email first" in page
    assert_nothing_reachable(client)
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0

    # Opening the link shows a button and changes nothing.
    page = client.get(path_of(link)).get_data(as_text=True)
    assert re.search(r'<form method="post"', page) and "Confirm my email" in page
    user = user_by_email("jordan@example.com")
    assert user.email_verified_at is None

    response = confirm(auth, link)
    assert response.headers["Location"] == "/auth/login"
    assert user.email_verified_at is not None
    assert user.role == Role.CLIENT.value and user.therapist_id == therapist.id
    assert user.timezone == "Europe/London" and user.name == "Jordan Lee"

    assert auth.login("jordan@example.com", PASSWORD).headers["Location"] == "/home"
    assert client.get("/home").status_code == 200


def test_a_tampered_confirmation_link_is_refused(client, auth, mailbox):
    register(auth, "jordan@example.com")
    link = path_of(mailbox.last_link("jordan@example.com"))
    head, _, signature = link.rpartition(".")
    tampered = head + "." + ("A" if signature[0] != "A" else "B") + signature[1:]

    response = auth.post(tampered, {})
    assert response.status_code == 400
    assert "This link no longer works" in response.get_data(as_text=True)
    assert user_by_email("jordan@example.com").email_verified_at is None


def test_a_confirmation_link_for_another_account_cannot_be_forged(client, auth, mailbox):
    register(auth, "jordan@example.com")
    link = path_of(mailbox.last_link("jordan@example.com"))
    payload = link.rsplit("/", 1)[1].split(".")[0]
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["uid"] += 1
    forged_payload = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    forged = link.replace(payload, forged_payload)
    assert auth.post(forged, {}).status_code == 400


def test_a_confirmation_link_expires_after_48_hours(client, auth, mailbox):
    with time_machine.travel(START, tick=False) as traveller:
        register(auth, "jordan@example.com")
        link = mailbox.last_link("jordan@example.com")
        traveller.shift(timedelta(hours=48, minutes=1))
        response = confirm(auth, link)
        assert response.status_code == 400
    assert user_by_email("jordan@example.com").email_verified_at is None


def test_registering_an_existing_email_looks_the_same_and_tells_the_owner(client, auth,
                                                                          mailbox, factories):
    owner = factories.make_client(email="known.person@example.com")
    new_email = "fresh.person@example.com"

    def answer(email):
        response = register(auth, email)
        body = re.sub(r'nonce="[^"]+"', "", response.get_data(as_text=True))
        return response.status_code, body.replace(email, "EMAIL")

    assert answer(owner.email) == answer(new_email)
    [warning] = mailbox.to(owner.email)
    assert warning["Subject"] == "Someone tried to create an account with your email"
    assert "nothing was changed" in mailbox.text_of(warning)
    assert db.session.scalar(select(func.count()).where(User.email == owner.email)) == 1
    assert owner.name != "Jordan Lee"
    assert verify_password(owner.password_hash, DEFAULT_PASSWORD)
    assert not verify_password(owner.password_hash, PASSWORD)


# --- invitations ----------------------------------------------------------------------------
def invite(app, factories, mailbox, email="invited.client@example.com"):
    """A therapist, signed in with TOTP, invites `email`; returns (therapist, link path)."""
    therapist = factories.make_therapist()
    staff = Auth(app.test_client())
    staff.login(therapist.email, DEFAULT_PASSWORD, totp_secret=therapist.totp_secret)
    response = staff.post("/therapist/clients/invite", {"email": email},
                          form_path="/therapist/clients")
    assert response.status_code == 302
    [message] = mailbox.to(email)
    assert message["Subject"] == "You are invited to create your portal account"
    return therapist, path_of(mailbox.last_link(email))


def test_an_invited_client_registers_with_the_invited_email_already_confirmed(
        app, client, auth, mailbox, factories):
    therapist, link = invite(app, factories, mailbox)
    page = client.get(link).get_data(as_text=True)
    email_input = re.search(r'<input[^>]*name="email"[^>]*>', page).group(0)
    assert 'value="invited.client@example.com"' in email_input
    assert "readonly" in email_input

    response = register(auth, "someone.else@example.com", name="Riley Park", path=link)
    assert response.headers["Location"] == "/auth/login"
    assert user_by_email("someone.else@example.com") is None  # the email is locked
    user = user_by_email("invited.client@example.com")
    assert user.role == Role.CLIENT.value and user.therapist_id == therapist.id
    assert user.email_verified_at is not None and user.name == "Riley Park"
    assert mailbox.to("someone.else@example.com") == []
    assert len(mailbox.to(user.email)) == 1  # the invitation only: no confirmation needed

    assert auth.login(user.email, PASSWORD).headers["Location"] == "/home"
    assert therapist.name in html.unescape(client.get("/home").get_data(as_text=True))


def test_an_invitation_link_works_once(app, client, auth, mailbox, factories):
    _, link = invite(app, factories, mailbox)
    register(auth, "invited.client@example.com", path=link)

    again = client.get(link)
    assert again.status_code == 400
    assert "This invitation has expired or was already used" in again.get_data(as_text=True)
    other = Auth(app.test_client())
    response = other.post(link, {"name": "Mallory", "email": "invited.client@example.com",
                                 "password": "another-fresh-password-77",
                                 "confirm": "another-fresh-password-77",
                                 "timezone": "UTC"}, form_path="/auth/register")
    assert response.status_code == 400
    assert user_by_email("invited.client@example.com").name == "Jordan Lee"
    assert db.session.scalar(select(func.count()).where(User.role == Role.CLIENT.value)) == 1
