"""Therapist views: the list of their clients (search, arc-of-care filter, latest scores, next
session) and client invitations."""
import hashlib
import secrets
from datetime import UTC, datetime

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from portal.accounts.services import absolute_url, find_user
from portal.core.time import utcnow
from portal.core.vocabulary import STAGE_LABELS, Role
from portal.extensions import db
from portal.models.user import Invitation, User
from portal.notifications.email import send_email
from portal.security.access import role_required
from portal.security.audit import record
from portal.workspace.blueprint import bp
from portal.workspace.clients import client_rows
from portal.workspace.forms import InviteForm

CLINICIANS = (Role.THERAPIST, Role.ADMIN)


SEARCH_LIMIT = 100


def _render_clients(form):
    search = request.args.get("q", "").strip()[:SEARCH_LIMIT]
    status = request.args.get("status", "all")
    status = status if status in STAGE_LABELS else "all"
    rows = client_rows(current_user, datetime.now(UTC), search=search, status=status)
    total = None
    if search or status != "all":
        total = db.session.scalar(select(func.count()).select_from(User).where(
            User.therapist_id == current_user.id, User.role == Role.CLIENT.value))
    invites = db.session.scalars(select(Invitation).where(
        Invitation.therapist_id == current_user.id, Invitation.used_at.is_(None),
        Invitation.expires_at > utcnow()).order_by(Invitation.created_at.desc())).all()
    return render_template("workspace/clients.html", rows=rows, invites=invites, form=form,
                           search=search, status=status, statuses=STAGE_LABELS, total=total)


@bp.get("/clients")
@role_required(*CLINICIANS)
def clients():
    """Therapists: their clients (searchable, filtered by arc status) and open invitations."""
    return _render_clients(InviteForm())


@bp.post("/clients/invite")
@role_required(*CLINICIANS)
def invite():
    """Therapists: email a client a link to register as their client."""
    form = InviteForm()
    if not form.validate_on_submit():
        return _render_clients(form), 400
    if find_user(form.email.data) is not None:
        form.email.errors.append("Someone already has an account with this email. Ask them to "
                                 "sign in, or contact the practice owner to move them to you.")
        return _render_clients(form), 400
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = Invitation(email=form.email.data, therapist=current_user,
                     token_hash=hashlib.sha256(token.encode()).hexdigest(), created_at=now,
                     expires_at=now + current_app.config["INVITE_MAX_AGE"])
    db.session.add(row)
    db.session.flush()
    record("client_invited", actor=current_user, obj=("invitation", row.id))
    send_email(row.email, "You are invited to create your portal account", "invite",
               invite_url=absolute_url("accounts.accept_invite", token=token),
               days=current_app.config["INVITE_MAX_AGE"].days)
    db.session.commit()
    flash("Invitation sent.", "success")
    return redirect(url_for("workspace.clients"))
