"""Therapist views: the list of their clients and client invitations."""
import hashlib
import secrets

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from portal.audit.service import record
from portal.auth.service import absolute_url, find_user
from portal.extensions import db
from portal.models.types import utcnow
from portal.models.user import Invitation, Role, User
from portal.notifications.email import send_email
from portal.security.access import role_required
from portal.therapist import bp
from portal.therapist.forms import InviteForm

CLINICIANS = (Role.THERAPIST, Role.ADMIN)


def _render_clients(form):
    clients = db.session.scalars(select(User).where(User.therapist_id == current_user.id,
                                                    User.role == Role.CLIENT.value)
                                 .order_by(User.name)).all()
    invites = db.session.scalars(select(Invitation).where(
        Invitation.therapist_id == current_user.id, Invitation.used_at.is_(None),
        Invitation.expires_at > utcnow()).order_by(Invitation.created_at.desc())).all()
    return render_template("therapist/clients.html", clients=clients, invites=invites, form=form)


@bp.get("/clients")
@role_required(*CLINICIANS)
def clients():
    """Therapists: their clients and open invitations."""
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
               invite_url=absolute_url("auth.accept_invite", token=token),
               days=current_app.config["INVITE_MAX_AGE"].days)
    db.session.commit()
    flash("Invitation sent.", "success")
    return redirect(url_for("therapist.clients"))
