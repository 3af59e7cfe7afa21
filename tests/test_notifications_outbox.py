"""The outbox (issue 14, small holes): every email is a row queued in the transaction of its
change and delivered after the commit, off the request path, with retries.

Finding (Low): "Password-reset timing reveals whether an email is registered, because the email
is sent inside the request." Now the request only queues a row: it makes no SMTP connection and
answers alike (test_a_reset_request_queues_without_touching_smtp_and_answers_alike).

Real components: the loopback SMTP server of conftest, and here a second aiosmtpd server that
counts connections and refuses one address; SQLite and PostgreSQL. The suite delivers right after
each commit (OUTBOX_DELIVER_ON_COMMIT); this module turns that off to watch emails wait. Time is
passed to the sender, never slept.
"""
import logging
import re
import threading
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from portal.core.signals import appointment_changing
from portal.core.time import utcnow
from portal.core.vocabulary import OutboxStatus, SessionKind
from portal.extensions import db
from portal.models.outbox import OutboxEmail
from portal.models.schedule import Appointment
from portal.notifications import outbox
from portal.notifications.email import queue_email
from portal.notifications.outbox import MAX_ATTEMPTS, claim, deliver_due, purge, retry_delay
from portal.scheduling import services
from tests.conftest import ON_PG, Mailbox
from tests.ports import free_port
from tests.scheduling_helpers import make_appointment, session_type

ADDRESS = "outbox.person@example.com"
SUBJECT = "Your password was changed"
LINK = "http://localhost/auth/reset/secret-token-7f3a"


@pytest.fixture
def app_config():
    """Emails wait in the outbox until a sender is run."""
    return {"OUTBOX_DELIVER_ON_COMMIT": False}


class CountingMailbox(Mailbox):
    """An SMTP server's handler that counts connections (every client greets with EHLO first)
    and refuses one address for good (550), as a real server refuses an unknown mailbox."""

    REFUSED = "no.such.person@example.com"

    def __init__(self):
        super().__init__()
        self.connections = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.REFUSED:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture(scope="module")
def counting_server():
    mailbox = CountingMailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, mailbox
    controller.stop()


@pytest.fixture
def counted(app, counting_server):
    """The app's mail goes to the counting server (counts start at zero)."""
    controller, mailbox = counting_server
    mailbox.clear()
    mailbox.connections = 0
    app.config["SMTP_PORT"] = controller.port
    return mailbox


@pytest.fixture
def smtp_down(app):
    """Nothing listens on the app's SMTP port until `back()`."""
    real = app.config["SMTP_PORT"]
    app.config["SMTP_PORT"] = free_port()

    class Switch:
        @staticmethod
        def back():
            app.config["SMTP_PORT"] = real
    return Switch


def queue(app, to=ADDRESS, subject=SUBJECT, commit=True):
    with app.test_request_context():
        row_id = queue_email(to, subject, "password_changed", name="Outbox Person",
                             reset_url=LINK).id
        if commit:
            db.session.commit()  # and no read afterwards: on SQLite it would take the lock
    return row_id


def rows():
    db.session.expire_all()
    return db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)).all()


def deliver(now=None):
    """A sender's pass (after ending the test's own transaction: on SQLite it holds the write
    lock, which a sender in this thread would wait for)."""
    db.session.commit()
    return deliver_due(now)


def only_row():
    [row] = rows()
    return row


# --- an email is a row until it is delivered ------------------------------------------------
def test_an_email_is_an_encrypted_row_until_a_sender_delivers_it(app, mailbox):
    queue(app)
    row = only_row()
    assert (row.status, row.attempts, mailbox.messages) == (OutboxStatus.QUEUED, 0, [])
    stored = db.session.execute(text("SELECT recipient, subject, content FROM outbox")).one()
    for value in stored:
        assert value.startswith("v1:")
        assert ADDRESS not in value and SUBJECT not in value and "secret-token" not in value

    assert deliver() == 1
    [message] = mailbox.to(ADDRESS)
    assert message["Subject"] == SUBJECT and LINK in mailbox.text_of(message)
    row = only_row()
    assert row.status == OutboxStatus.SENT and row.sent_at is not None
    assert row.content is None  # the link is not kept once sent
    assert deliver() == 0 and len(mailbox.messages) == 1


def test_a_rolled_back_transaction_leaves_no_email(app, mailbox):
    app.config["OUTBOX_DELIVER_ON_COMMIT"] = True  # as in the rest of the suite
    queue(app, commit=False)
    db.session.rollback()
    assert rows() == [] and deliver() == 0 and mailbox.messages == []

    queue(app)  # positive control: committed, it goes at once
    assert len(mailbox.to(ADDRESS)) == 1 and only_row().status == OutboxStatus.SENT


def test_an_email_queued_in_a_savepoint_waits_for_the_outer_commit(app, mailbox):
    app.config["OUTBOX_DELIVER_ON_COMMIT"] = True
    with app.test_request_context():
        with db.session.begin_nested():
            queue_email(ADDRESS, SUBJECT, "password_changed", name="X", reset_url=LINK)
        assert mailbox.messages == []  # the savepoint's release is not the commit
        db.session.commit()
    assert len(mailbox.to(ADDRESS)) == 1


def test_appointment_emails_are_part_of_the_changes_transaction(app, therapist, client_user,
                                                                mailbox):
    preparation = session_type(therapist, SessionKind.PREPARATION)
    appointment = make_appointment(client_user, preparation, utcnow() + timedelta(days=9))
    services.cancel(appointment, by=therapist)
    appointment_changing.send(app, appointment=appointment, change="cancelled")
    assert len(db.session.scalars(select(OutboxEmail)).all()) == 2  # in this transaction
    db.session.rollback()
    assert rows() == [] and db.session.get(Appointment, appointment.id).live

    services.cancel(appointment, by=therapist)  # positive control: committed together
    services.commit_change(appointment, "cancelled")
    assert len(rows()) == 2 and not db.session.get(Appointment, appointment.id).live
    assert deliver() == 2
    assert {m["To"] for m in mailbox.messages} == {client_user.email, therapist.email}


# --- the finding: a reset request no longer waits on SMTP -----------------------------------
def test_a_reset_request_queues_without_touching_smtp_and_answers_alike(app, auth, factories,
                                                                         counted):
    known = factories.make_client(email="known.person@example.com")
    unknown = "nobody.person@example.com"

    def answer(email):
        response = auth.post("/auth/reset", {"email": email})
        body = re.sub(r'nonce="[^"]+"', "", response.get_data(as_text=True))
        return response.status_code, body.replace(email, "EMAIL")

    assert answer(known.email) == answer(unknown)
    assert counted.connections == 0 and counted.messages == []
    assert [row.recipient for row in rows()] == [known.email]

    assert deliver() == 1  # the sender, after the request
    assert counted.connections == 1 and len(counted.to(known.email)) == 1


# --- retries ----------------------------------------------------------------------------------
def test_retries_wait_30_seconds_doubling_to_an_hour():
    assert [retry_delay(n).total_seconds() for n in range(1, MAX_ATTEMPTS + 1)] == [
        30, 60, 120, 240, 480, 960, 1920, 3600]


def test_smtp_down_keeps_the_email_and_retries_with_backoff_until_it_is_back(app, mailbox,
                                                                             smtp_down):
    queue(app)
    start = utcnow()
    assert deliver(start) == 0
    row = only_row()
    assert (row.status, row.attempts, row.last_error) == (
        OutboxStatus.QUEUED, 1, "ConnectionRefusedError")
    assert row.next_attempt_at == start + timedelta(seconds=30)

    assert deliver(start + timedelta(seconds=29)) == 0
    assert only_row().attempts == 1  # not due yet: not tried
    assert deliver(start + timedelta(seconds=30)) == 0
    row = only_row()
    assert row.attempts == 2 and row.next_attempt_at == start + timedelta(seconds=90)

    smtp_down.back()
    assert deliver(start + timedelta(seconds=90)) == 1
    row = only_row()
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.SENT, 3, None)
    assert len(mailbox.to(ADDRESS)) == 1


def test_an_email_is_given_up_after_eight_attempts_and_logged_by_id(app, mailbox, smtp_down,
                                                                    caplog):
    caplog.set_level(logging.INFO, logger="portal")
    email_id = queue(app)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert deliver(only_row().next_attempt_at) == 0
        assert only_row().attempts == attempt
    row = only_row()
    assert (row.status, row.attempts, row.content) == (OutboxStatus.FAILED, MAX_ATTEMPTS, None)
    smtp_down.back()
    assert deliver(utcnow() + timedelta(days=1)) == 0 and mailbox.messages == []
    [given_up] = [r.getMessage() for r in caplog.records if "given up" in r.getMessage()]
    assert given_up == f"email given up id={email_id} attempts=8 error=ConnectionRefusedError"


def test_a_permanent_refusal_is_given_up_at_once(app, counted):
    queue(app, to=CountingMailbox.REFUSED)
    queue(app)  # positive control: the same server takes another address
    assert deliver() == 1
    refused, sent = rows()
    assert (refused.status, refused.attempts, refused.last_error) == (
        OutboxStatus.FAILED, 1, "SMTPRecipientsRefused")
    assert sent.status == OutboxStatus.SENT and len(counted.to(ADDRESS)) == 1


def test_an_email_claimed_by_a_sender_that_died_is_sent_after_its_lease(app, mailbox):
    queue(app)
    now = utcnow()
    db.session.commit()
    with Session(db.engine) as dead_sender:
        assert len(claim(dead_sender, now)) == 1  # ... and never sends
    assert deliver(now + timedelta(minutes=1)) == 0  # still leased
    assert deliver(now + outbox.LEASE) == 1
    assert len(mailbox.to(ADDRESS)) == 1 and only_row().attempts == 2


# --- concurrent senders -----------------------------------------------------------------------
def test_two_senders_at_once_send_each_email_exactly_once(app, mailbox):
    addresses = [f"person{i}@example.com" for i in range(24)]
    for address in addresses:
        queue(app, to=address)
    db.session.commit()
    start, results = threading.Barrier(3), []

    def sender():
        with app.app_context():
            start.wait()
            results.append(deliver_due())
    threads = [threading.Thread(target=sender) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(results) == len(addresses)
    assert sorted(m["To"] for m in mailbox.messages) == sorted(addresses)
    assert {row.status for row in rows()} == {OutboxStatus.SENT}


@pytest.mark.skipif(not ON_PG, reason="FOR UPDATE SKIP LOCKED is PostgreSQL's")
def test_postgresql_senders_skip_emails_another_sender_is_claiming(app, mailbox):
    ids = [queue(app, to=f"person{i}@example.com") for i in range(5)]
    now = utcnow()
    db.session.commit()
    with Session(db.engine) as first, Session(db.engine) as second:
        first.execute(select(OutboxEmail.id).where(OutboxEmail.id.in_(ids[:3]))
                      .with_for_update())  # mid-claim: holds three rows
        second.execute(text("SET LOCAL lock_timeout = '5s'"))  # waiting would fail, not hang
        assert sorted(row.id for row in claim(second, now)) == ids[3:]
        first.rollback()
        assert sorted(row.id for row in claim(second, now)) == ids[:3]


# --- retention --------------------------------------------------------------------------------
def test_retention_deletes_emails_sent_or_given_up_after_n_days_and_keeps_waiting_ones(app):
    now = utcnow()
    days = app.config["OUTBOX_RETENTION_DAYS"]
    old, recent = now - timedelta(days=days, minutes=1), now - timedelta(days=days - 1)
    cases = {"old sent": (OutboxStatus.SENT, old, old), "recent sent": (
        OutboxStatus.SENT, old, recent), "old failed": (OutboxStatus.FAILED, old, None),
        "old queued": (OutboxStatus.QUEUED, old, None)}
    ids = {}
    for name, (status, created, sent) in cases.items():
        ids[name] = queue(app, to=f"{name.replace(' ', '.')}@example.com")
        db.session.execute(update(OutboxEmail).where(OutboxEmail.id == ids[name]).values(
            status=status.value, created_at=created, sent_at=sent))
    db.session.commit()

    assert purge(now) == 2
    assert {row.id for row in rows()} == {ids["recent sent"], ids["old queued"]}


# --- logs -------------------------------------------------------------------------------------
def test_logs_name_emails_by_id_never_by_address_subject_or_link(app, mailbox, smtp_down,
                                                                 caplog):
    caplog.set_level(logging.DEBUG)
    email_id = queue(app)
    deliver()
    smtp_down.back()
    deliver(only_row().next_attempt_at)
    portal_logs = [r.getMessage() for r in caplog.records if r.name.startswith("portal")]
    assert len(portal_logs) == 3 and all(f"id={email_id}" in line for line in portal_logs)
    for line in portal_logs:
        for secret in (ADDRESS, "outbox.person", SUBJECT, "secret-token", "Outbox Person"):
            assert secret not in line


# --- the ways a sender runs -------------------------------------------------------------------
def test_flask_send_outbox_delivers_the_due_emails_and_deletes_old_ones(app, mailbox):
    queue(app)
    old = queue(app, to="old.person@example.com")
    db.session.execute(update(OutboxEmail).where(OutboxEmail.id == old).values(
        status=OutboxStatus.SENT.value, sent_at=utcnow() - timedelta(days=30)))
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["send-outbox"])
    assert result.exit_code == 0, result.output
    assert "emails delivered: 1" in result.output and "old emails deleted: 1" in result.output
    assert len(mailbox.to(ADDRESS)) == 1 and mailbox.to("old.person@example.com") == []
    assert [row.status for row in rows()] == [OutboxStatus.SENT]


def test_the_background_sender_delivers_what_a_request_queued(app, auth, factories, mailbox):
    from portal.notifications.sender import sender
    email = factories.make_client(email="known.person@example.com").email
    app.config.update(OUTBOX_SENDER=True, OUTBOX_POLL_SECONDS=30)
    try:
        auth.post("/auth/reset", {"email": email})  # its first request starts the sender
        pause = threading.Event()
        for _ in range(200):  # the commit wakes it at once; at most 10 s
            if mailbox.to(email) or pause.wait(0.05):  # (no database read meanwhile: SQLite)
                break
    finally:
        sender.stop()
    assert len(mailbox.to(email)) == 1
    assert only_row().status == OutboxStatus.SENT
