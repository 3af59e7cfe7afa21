"""Writes of secure messages, each with its audit record (ids and event names only, never a
subject or a body); the caller commits, then sends the email notice (notify), which says only
that a message is waiting.

Reading a thread is audited too (every read, break-glass reads included), so the client's
access log shows who read their messages.
"""
import logging

from flask import current_app

from portal.core.time import utcnow
from portal.extensions import db
from portal.models.message import Message, MessageThread, ResponseHours
from portal.models.user import User
from portal.notifications.email import queue_email
from portal.security.audit import record as audit

log = logging.getLogger(__name__)


class ThreadClosed(Exception):
    """The thread was closed by the therapist: no more messages in it."""


def start_thread(client, subject, body):
    """A new thread from a client to their therapist, with its first message."""
    now = utcnow()
    thread = MessageThread(client_id=client.id, therapist_id=client.therapist_id,
                           subject=subject, created_at=now, last_message_at=now)
    db.session.add(thread)
    db.session.flush()
    audit("message_thread_started", actor=client, obj=("message_thread", thread.id))
    _add(thread, client, body, now)
    return thread


def reply(thread, author, body):
    """A message from one of the two people of an open thread."""
    if thread.closed:
        raise ThreadClosed(thread.id)
    return _add(thread, author, body, utcnow())


def _add(thread, author, body, now):
    message = Message(thread_id=thread.id, author_id=author.id, body=body, created_at=now)
    db.session.add(message)
    thread.last_message_at = now
    db.session.flush()
    audit("message_sent", actor=author, obj=("message_thread", thread.id),
          detail=f"message {message.id}")
    log.info("message sent thread=%s message=%s", thread.id, message.id)
    return message


def view(thread, viewer):
    """Audit a read of the thread; a participant's read marks the other side's messages read."""
    if thread.takes_part(viewer):
        now = utcnow()
        for message in thread.messages:
            if message.author_id != viewer.id and message.read_at is None:
                message.read_at = now
    audit("message_thread_viewed", actor=viewer, obj=("message_thread", thread.id))


def close(thread, by):
    """The therapist closes the thread; the client may then start a new one."""
    if not thread.closed:
        thread.closed_at, thread.closed_by_id = utcnow(), by.id
        audit("message_thread_closed", actor=by, obj=("message_thread", thread.id))


def save_hours(therapist, days, starts, ends):
    """The therapist's response hours (one row each, replaced)."""
    row = db.session.query(ResponseHours).filter_by(therapist_id=therapist.id).one_or_none()
    if row is None:
        row = ResponseHours(therapist_id=therapist.id)
        db.session.add(row)
    row.weekdays = ",".join(str(d) for d in sorted(set(days)))
    row.starts, row.ends = starts, ends
    db.session.flush()
    audit("response_hours_saved", actor=therapist, obj=("user", therapist.id))


def recipient_of(thread, author):
    """The other person of the thread."""
    other = thread.therapist_id if author.id == thread.client_id else thread.client_id
    return db.session.get(User, other) if other else None


def notify(thread, author):
    """Queue, with the message, the other person's email that a message waits (never what it
    says)."""
    person = recipient_of(thread, author)
    if person is None or not person.is_active:
        return
    queue_email(person.email, "You have a new message", "new_message",
                login_url=current_app.config["BASE_URL"].rstrip("/") + "/auth/login")
