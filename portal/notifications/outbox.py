"""The outbox's sender: claim due emails, deliver them, retry with backoff, forget old ones.

Emails are queued by portal/notifications/email.py in the transaction of their change, and
rendered here, when sent (a template error is a failed attempt like any other). After a
commit that queued any, the committing thread either wakes the background sender of its
process (portal/notifications/sender.py) or, with OUTBOX_DELIVER_ON_COMMIT (tests), delivers
them itself. `flask send-outbox` runs the same pass from a timer, and `flask send-reminders`
ends with one.

Claims are atomic, so any number of senders in any number of processes send each email once:
PostgreSQL takes the due rows FOR UPDATE SKIP LOCKED (concurrent senders take different rows
without waiting); on SQLite the claiming transaction holds the write lock (BEGIN IMMEDIATE) and
the UPDATE re-checks that each row is still due. A claim is a lease: a sender that dies
mid-send leaves its rows `sending`, and they are due again when the lease ends.

A failed attempt is retried after 30 s, then 1, 2, 4... minutes, at most an hour apart; after
MAX_ATTEMPTS the email is given up. Logs carry the row id and the exception's class only.
Every delivery uses a session of its own, never the caller's.
"""
import logging
import threading
from datetime import timedelta

from flask import current_app, has_app_context
from sqlalchemy import delete, event, func, select, update
from sqlalchemy.orm import Session

from portal.core.time import utcnow
from portal.core.vocabulary import OutboxStatus
from portal.extensions import db
from portal.models.outbox import OutboxEmail
from portal.notifications.delivery import is_permanent, transmit
from portal.notifications.email import render

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
LEASE = timedelta(minutes=10)  # a claimed email is one sender's for this long
BATCH = 10  # claimed at a time: sent well within the lease even if every one times out

_NEW_IDS = "outbox_new_ids"  # key in Session.info: emails flushed in the open transaction
_work = threading.Event()  # set after a commit that queued emails; the sender waits on it


def retry_delay(attempts):
    """How long to wait after the `attempts`-th failed attempt: 30 s doubling, at most 1 h."""
    return min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_RETRY)


def _due(now):
    return (OutboxEmail.status.in_([OutboxStatus.QUEUED.value, OutboxStatus.SENDING.value])
            & (OutboxEmail.next_attempt_at <= now))


def claim(session, now, ids=None, limit=BATCH):
    """Claim up to `limit` due emails (of `ids`, when given) for this sender, committed; returns
    them loaded. Each claim counts as an attempt."""
    query = (select(OutboxEmail.id).where(_due(now))
             .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id).limit(limit))
    if ids is not None:
        query = query.where(OutboxEmail.id.in_(ids))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    candidates = session.scalars(query).all()
    claimed = session.scalars(
        update(OutboxEmail).where(OutboxEmail.id.in_(candidates), _due(now))
        .values(status=OutboxStatus.SENDING.value, attempts=OutboxEmail.attempts + 1,
                next_attempt_at=now + LEASE)
        .returning(OutboxEmail.id).execution_options(synchronize_session=False)).all() \
        if candidates else []
    rows = session.scalars(select(OutboxEmail).where(OutboxEmail.id.in_(claimed))
                           .order_by(OutboxEmail.id)).all() if claimed else []
    session.commit()
    return rows


def deliver_due(now=None, ids=None):
    """Deliver every email due at `now` (or those of `ids` that are due); returns how many
    were handed to the mail server."""
    now = now or utcnow()
    sent = 0
    while True:
        with Session(db.engine, expire_on_commit=False) as session:
            rows = claim(session, now, ids=ids)
            if not rows:
                return sent
            sent += sum(_deliver(session, row, now) for row in rows)


def _deliver(session, row, now):
    if row.attempts > MAX_ATTEMPTS:  # its last sender died mid-send: no further attempt
        _set(session, row.id, status=OutboxStatus.FAILED.value, last_error="LeaseExpired",
             content=None)
        log.error("email given up id=%s attempts=%s error=LeaseExpired", row.id, row.attempts)
        return 0
    try:
        transmit(row.recipient, render(row))
    except Exception as exc:  # any failure is retried or given up; the class is enough
        _failed(session, row, exc, now)
        return 0
    _set(session, row.id, status=OutboxStatus.SENT.value, sent_at=now, content=None,
         last_error=None)
    log.info("email sent id=%s attempt=%s", row.id, row.attempts)
    return 1


def _failed(session, row, exc, now):
    error = type(exc).__name__
    if row.attempts >= MAX_ATTEMPTS or is_permanent(exc):
        _set(session, row.id, status=OutboxStatus.FAILED.value, last_error=error, content=None)
        log.error("email given up id=%s attempts=%s error=%s", row.id, row.attempts, error)
        return
    _set(session, row.id, status=OutboxStatus.QUEUED.value, last_error=error,
         next_attempt_at=now + retry_delay(row.attempts))
    log.warning("email delivery failed id=%s attempt=%s error=%s (will retry)",
                row.id, row.attempts, error)


def _set(session, row_id, **values):
    session.execute(update(OutboxEmail).where(OutboxEmail.id == row_id).values(**values)
                    .execution_options(synchronize_session=False))
    session.commit()


def purge(now=None):
    """Delete the emails sent (or given up) more than OUTBOX_RETENTION_DAYS ago; returns how
    many. Queued ones are kept however old: they may still be sent."""
    cutoff = (now or utcnow()) - timedelta(days=current_app.config["OUTBOX_RETENTION_DAYS"])
    with Session(db.engine) as session:
        done = session.execute(delete(OutboxEmail).where(
            OutboxEmail.status.in_([OutboxStatus.SENT.value, OutboxStatus.FAILED.value]),
            func.coalesce(OutboxEmail.sent_at, OutboxEmail.created_at) < cutoff)
            .execution_options(synchronize_session=False)).rowcount
        session.commit()
    return done


def wait_for_work(timeout):
    """The background sender's pause: until a commit queues an email, or `timeout` seconds."""
    _work.wait(timeout)
    _work.clear()


def wake():
    _work.set()


# --- after the caller's commit ---------------------------------------------------------------
@event.listens_for(Session, "after_flush")
def _note_new_emails(session, _flush_context):
    ids = [obj.id for obj in session.new if isinstance(obj, OutboxEmail)]
    if ids:
        session.info.setdefault(_NEW_IDS, []).extend(ids)


@event.listens_for(Session, "after_soft_rollback")
def _forget_new_emails(session, previous_transaction):
    if previous_transaction.parent is None:  # the whole transaction: its emails are gone
        session.info.pop(_NEW_IDS, None)


@event.listens_for(Session, "after_commit")
def _send_new_emails(session):
    """The emails of a committed transaction go now: delivered here (OUTBOX_DELIVER_ON_COMMIT,
    tests) or by the woken sender. Never raises: the caller's change is committed."""
    if session.in_nested_transaction():  # a savepoint: the transaction may still roll back
        return
    ids = session.info.pop(_NEW_IDS, None)
    if not ids or not has_app_context():
        return
    if not current_app.config.get("OUTBOX_DELIVER_ON_COMMIT"):
        wake()
        return
    try:
        deliver_due(ids=ids)
    except Exception as exc:  # the sender or `flask send-outbox` will try again
        log.error("email delivery after commit failed error=%s", type(exc).__name__)
