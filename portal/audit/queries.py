"""The audit events a viewer may see, filtered and paged for the audit log page."""
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import false, or_, select

from portal.core.audit_words import AUDIT_EVENTS
from portal.extensions import db
from portal.models.audit import AuditEvent
from portal.models.user import User

PAGE_SIZE = 50


def visible(query, viewer):
    """Admins see every event; a therapist sees events by or about themselves and their clients."""
    if viewer.is_admin:
        return query
    clients = select(User.id).where(User.therapist_id == viewer.id)
    return query.where(or_(AuditEvent.actor_id == viewer.id,
                           AuditEvent.actor_id.in_(clients),
                           (AuditEvent.object_type == "user")
                           & AuditEvent.object_id.in_(select(User.id.cast(db.String))
                                                      .where(User.therapist_id == viewer.id))))


def filtered(viewer, event=None, actor=None, outcome=None, since=None, until=None):
    """The viewer's visible events matching the filters that are set (dates are UTC days)."""
    query = visible(select(AuditEvent), viewer)
    if event:  # names are opaque codes: an unknown name matches nothing (and binds nothing)
        name = event.strip()
        query = query.where(AuditEvent.event == name if name in AUDIT_EVENTS else false())
    if actor:
        query = query.where(AuditEvent.actor_id == actor)
    if outcome:
        query = query.where(AuditEvent.outcome == outcome)
    if since:
        query = query.where(AuditEvent.created_at >= datetime.combine(since, time.min, tzinfo=UTC))
    if until:
        query = query.where(AuditEvent.created_at < datetime.combine(
            until, time.min, tzinfo=UTC) + timedelta(days=1))
    return query


def events_page(viewer, page, **filters):
    """(events of page `page`, newest first, whether a next page exists)."""
    rows = db.session.scalars(filtered(viewer, **filters).order_by(AuditEvent.id.desc())
                              .limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)).all()
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE
