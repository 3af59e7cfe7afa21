"""The audit log page for therapists (their own and their clients' events) and admins (all)."""
from flask import render_template, request
from flask_login import current_user

from portal.audit import queries, queries_clinical
from portal.audit.blueprint import bp
from portal.audit.forms import AuditFilterForm
from portal.core.vocabulary import Role
from portal.security.access import role_required


@bp.get("/")
@role_required(Role.THERAPIST, Role.ADMIN)
def events():
    """Therapists and admins: audit events, newest first, with filters."""
    form = AuditFilterForm(request.args)
    valid = form.validate()
    page = form.page.data if valid and form.page.data else 1
    rows, has_next = [], False
    if valid:
        rows, has_next = queries.events_page(
            current_user, page, event=form.event.data, actor=form.actor.data,
            outcome=form.outcome.data, since=form.since.data, until=form.until.data)
    rows = queries_clinical.details_for(current_user, rows)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("audit/events.html", form=form, rows=rows, page=page,
                           has_next=has_next, args=args), 200 if valid else 400
