"""Changing the sign-in email, end to end through the real forms and the real SMTP server: the
password is asked for, the link goes to the new address, opening it and pressing the button
switches the email, the old address is told, and the new email signs in."""
from urllib.parse import urlsplit

from sqlalchemy import select

from portal.extensions import db
from portal.models.audit import AuditEvent
from tests.conftest import Auth
from tests.factories import DEFAULT_PASSWORD

OLD, NEW = "river.old@example.com", "river.new@example.com"


def ask_to_change(auth, new_email):
    return auth.post("/account/email", {"em-current": DEFAULT_PASSWORD, "em-email": new_email},
                     form_path="/account")


def events(name):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.event == name)).all()


def test_a_signed_in_client_changes_their_sign_in_email_by_the_emailed_link(
        app, client, auth, mailbox, factories):
    user = factories.make_client(email=OLD, name="River Stone")
    assert auth.login(OLD, DEFAULT_PASSWORD).status_code == 302

    response = ask_to_change(auth, NEW)
    assert response.status_code == 302
    assert response.headers["Location"] == "/account"
    assert "We sent a confirmation link to the new address" in client.get("/account").get_data(
        as_text=True)
    db.session.refresh(user)
    assert user.email == OLD  # nothing changes until the link is opened

    [message] = mailbox.to(NEW)
    assert message["Subject"] == "Please confirm your new email address"
    assert "Hello River Stone" in mailbox.text_of(message)
    link = mailbox.last_link(NEW)
    assert link.startswith(app.config["BASE_URL"] + "/account/email/")
    path = urlsplit(link).path

    page = client.get(path)
    assert page.status_code == 200
    assert "Confirm my email" in page.get_data(as_text=True)
    confirmed = auth.post(path, {})
    assert confirmed.status_code == 302
    assert confirmed.headers["Location"] == "/account"
    assert "Your sign-in email is changed." in client.get("/account").get_data(as_text=True)

    db.session.refresh(user)
    assert user.email == NEW
    assert user.email_verified_at is not None
    [notice] = mailbox.to(OLD)
    assert notice["Subject"] == "Your sign-in email was changed"
    assert "was changed to a new address" in mailbox.text_of(notice)
    assert NEW not in mailbox.text_of(notice)  # the old address is not told the new one
    assert [e.actor_id for e in events("email_change_requested")] == [user.id]
    assert [e.actor_id for e in events("email_changed")] == [user.id]

    auth.logout()
    assert "did not work" in auth.login(OLD, DEFAULT_PASSWORD).get_data(as_text=True)
    signed_in = auth.login(NEW, DEFAULT_PASSWORD)
    assert signed_in.status_code == 302
    assert signed_in.headers["Location"] == "/home"
    assert client.get("/account").status_code == 200


def test_the_link_works_in_a_browser_that_is_not_signed_in(app, auth, mailbox, factories):
    user = factories.make_client(email=OLD)
    auth.login(OLD, DEFAULT_PASSWORD)
    ask_to_change(auth, NEW)
    path = urlsplit(mailbox.last_link(NEW)).path

    other = Auth(app.test_client())
    confirmed = other.post(path, {})
    assert confirmed.status_code == 302
    assert confirmed.headers["Location"] == "/auth/login"
    db.session.refresh(user)
    assert user.email == NEW
    assert other.login(NEW, DEFAULT_PASSWORD).headers["Location"] == "/home"


def test_a_used_link_does_not_work_twice(auth, mailbox, factories):
    factories.make_client(email=OLD)
    auth.login(OLD, DEFAULT_PASSWORD)
    ask_to_change(auth, NEW)
    path = urlsplit(mailbox.last_link(NEW)).path
    assert auth.post(path, {}).status_code == 302
    again = auth.post(path, {})
    assert again.status_code == 400
    assert len(events("email_changed")) == 1
