"""The audit log page for therapists (their own and their clients' events) and admins (all)."""
from datetime import UTC, datetime, time, timedelta

from flask import render_template, request
from flask_login import current_user
from sqlalchemy import or_, select

from portal.audit.blueprint import bp
from portal.audit.forms import AuditFilterForm
from portal.core.vocabulary import Role
from portal.extensions import db
from portal.models.audit import AuditEvent
from portal.models.user import User
from portal.security.access import role_required

PAGE_SIZE = 50


def _visible(query):
    """Admins see every event; a therapist sees events by or about themselves and their clients."""
    if current_user.is_admin:
        return query
    clients = select(User.id).where(User.therapist_id == current_user.id)
    return query.where(or_(AuditEvent.actor_id == current_user.id,
                           AuditEvent.actor_id.in_(clients),
                           (AuditEvent.object_type == "user")
                           & AuditEvent.object_id.in_(select(User.id.cast(db.String))
                                                      .where(User.therapist_id == current_user.id))))


def _filtered(form):
    query = _visible(select(AuditEvent))
    if form.event.data:
        query = query.where(AuditEvent.event == form.event.data.strip())
    if form.actor.data:
        query = query.where(AuditEvent.actor_id == form.actor.data)
    if form.outcome.data:
        query = query.where(AuditEvent.outcome == form.outcome.data)
    if form.since.data:
        query = query.where(AuditEvent.created_at >= datetime.combine(
            form.since.data, time.min, tzinfo=UTC))
    if form.until.data:
        query = query.where(AuditEvent.created_at < datetime.combine(
            form.until.data, time.min, tzinfo=UTC) + timedelta(days=1))
    return query


@bp.get("/")
@role_required(Role.THERAPIST, Role.ADMIN)
def events():
    """Therapists and admins: audit events, newest first, with filters."""
    form = AuditFilterForm(request.args)
    valid = form.validate()
    page = form.page.data if valid and form.page.data else 1
    rows = []
    if valid:
        rows = db.session.scalars(_filtered(form).order_by(AuditEvent.id.desc())
                                  .limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)).all()
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("audit/events.html", form=form, rows=rows[:PAGE_SIZE], page=page,
                           has_next=len(rows) > PAGE_SIZE, args=args), 200 if valid else 400
