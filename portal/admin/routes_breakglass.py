"""Break-glass: an admin opens time-limited, read-only access to one client's record.

Off unless used: an admin sees another therapist's client only under an active grant, which
needs a reason and the admin's own password, lasts 1 to 4 hours, is audited when granted, read
and ended, and is announced to the client's therapist by an email without PHI or names.
"""
from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, SelectField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange

from portal.accounts.services import absolute_url, reauthenticate
from portal.admin.blueprint import bp
from portal.core.time import utcnow
from portal.core.vocabulary import Role
from portal.extensions import db
from portal.models.breakglass import MAX_HOURS, BreakGlassGrant
from portal.models.user import User
from portal.notifications.email import send_email
from portal.security.access import role_required
from portal.security.audit import record

REASON_MIN, REASON_MAX = 20, 1000


class GrantForm(FlaskForm):
    client = SelectField("Client", coerce=int, validate_choice=True)
    reason = TextAreaField("Reason", validators=[
        DataRequired("Please say why you need emergency access."),
        Length(REASON_MIN, REASON_MAX, f"Please write {REASON_MIN} to {REASON_MAX} characters.")],
        description="Kept encrypted; the client's therapist sees that access was opened.")
    hours = SelectField("Duration", coerce=int, validate_choice=True,
                        choices=[SelectChoice(h, f"{h} hour{'s' if h > 1 else ''}")
                                 for h in range(1, MAX_HOURS + 1)],
                        validators=[NumberRange(1, MAX_HOURS)])
    current = PasswordField("Your password", validators=[
        DataRequired("Please enter your password."), Length(max=1024)])


class RevokeForm(FlaskForm):
    pass


def grant_access(admin, client, reason, hours):
    """Open a grant, audit it and tell the client's therapist (committed)."""
    grant = BreakGlassGrant.start(admin, client, reason, hours)
    record("break_glass_granted", actor=admin, obj=("user", client.id),
           detail=f"grant {grant.id} {hours}h")
    db.session.commit()
    therapist = db.session.get(User, client.therapist_id) if client.therapist_id else None
    if therapist is not None and therapist.id != admin.id:
        send_email(therapist.email, "Emergency access to a client's record", "break_glass",
                   login_url=absolute_url("accounts.login"))
    return grant


def _with_clients(form):
    clients = db.session.scalars(select(User).where(User.role == Role.CLIENT.value)
                                 .order_by(User.name, User.id)).all()
    form.client.choices = [SelectChoice(c.id, f"{c.name} (#{c.id})") for c in clients]
    return form


def _page(form, status=200):
    grants = BreakGlassGrant.active_for(current_user.id)
    return render_template("admin/break_glass.html", form=form, grants=grants,
                           revoke=RevokeForm(), max_hours=MAX_HOURS), status


@bp.route("/break-glass", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def break_glass():
    """Admins: open emergency read access to a client's record; list the grants in force."""
    form = _with_clients(GrantForm())
    if form.validate_on_submit():
        if not reauthenticate(current_user, form.current.data):
            form.current.errors.append("That is not your password.")
        else:
            client = db.session.get(User, form.client.data)
            grant_access(current_user, client, form.reason.data, form.hours.data)
            flash("Emergency access is open. Every read is recorded and the client's therapist "
                  "was told.", "warning")
            return redirect(url_for("workspace.intake_review", client_id=client.id))
    return _page(form, 400 if form.is_submitted() else 200)


@bp.post("/break-glass/<int:grant_id>/revoke")
@role_required(Role.ADMIN)
def revoke_break_glass(grant_id):
    """Admins: end one of their own break-glass grants now."""
    grant = db.session.get(BreakGlassGrant, grant_id)
    if grant is None or grant.admin_id != current_user.id:
        abort(404)
    if RevokeForm().validate_on_submit() and grant.is_active():
        grant.revoked_at = utcnow()
        record("break_glass_revoked", actor=current_user, obj=("user", grant.client_id),
               detail=f"grant {grant.id}")
        db.session.commit()
        flash("Emergency access ended.", "success")
    return redirect(url_for("admin.break_glass"))
