"""Read models of secure messages: whose threads a person sees, one thread (ownership first),
the unread count behind the nav badge, and a therapist's response hours.

A client sees their own threads; a therapist the threads with their clients. An admin who is not
the thread's therapist reads it only under an active break-glass grant (audited by own_client,
like every other record), never writes. Anything else gives 404, so ids cannot be probed.
"""
from flask import abort
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from portal.core.time import zone_of
from portal.extensions import db
from portal.messages.hours import DEFAULT_DAYS, DEFAULT_ENDS, DEFAULT_STARTS, Hours
from portal.models.message import Message, MessageThread, ResponseHours
from portal.workspace.queries import own_client


def _mine(user):
    return or_(MessageThread.client_id == user.id, MessageThread.therapist_id == user.id)


def threads_for(user):
    """The person's threads, most recent first, each with its count of unread messages."""
    unread = (select(func.count(Message.id))
              .where(Message.thread_id == MessageThread.id, Message.read_at.is_(None),
                     Message.author_id != user.id)
              .correlate(MessageThread).scalar_subquery())
    rows = db.session.execute(
        select(MessageThread, unread).options(selectinload(MessageThread.client))
        .where(_mine(user)).order_by(MessageThread.last_message_at.desc())).all()
    return [(thread, count) for thread, count in rows]


def thread_for(user, thread_id, write=False):
    """The thread `user` may open (write: they take part in it); else 404."""
    thread = db.session.get(MessageThread, thread_id)
    if thread is None:
        abort(404)
    if thread.takes_part(user):
        return thread
    if write or not user.is_admin:
        abort(404)
    own_client(user, thread.client_id)  # 404 unless break-glass (audited)
    return thread


def open_thread_of(client):
    """The client's open thread, if any (one at a time; closing it lets them start anew)."""
    return db.session.scalar(select(MessageThread).where(
        MessageThread.client_id == client.id, MessageThread.closed_at.is_(None))
        .order_by(MessageThread.id.desc()).limit(1))


def unread_count(user):
    """Messages written to `user` that they have not opened yet (the nav badge)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return db.session.scalar(
        select(func.count(Message.id)).join(MessageThread)
        .where(_mine(user), Message.read_at.is_(None), Message.author_id != user.id)) or 0


def hours_of(therapist):
    """The therapist's response hours (the defaults when none were stated)."""
    row = db.session.scalar(select(ResponseHours).where(
        ResponseHours.therapist_id == therapist.id))
    if row is None:
        return Hours(DEFAULT_DAYS, DEFAULT_STARTS, DEFAULT_ENDS, zone_of(therapist))
    return Hours(tuple(row.days), row.starts, row.ends, zone_of(therapist))


def hours_row(therapist):
    return db.session.scalar(select(ResponseHours).where(
        ResponseHours.therapist_id == therapist.id))
