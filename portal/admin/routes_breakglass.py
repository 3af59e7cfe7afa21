"""Break-glass: an admin opens time-limited, read-only access to one client's record.

Off unless used: an admin sees another therapist's client only under an active grant, which
needs a reason and the admin's own password, lasts 1 to 4 hours, is audited when granted, read
and ended, and is announced to the client's therapist by an email without PHI or names.
"""
from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms.fields import SelectChoice

from portal.accounts.services import reauthenticate
from portal.admin import queries, services
from portal.admin.blueprint import bp
from portal.admin.forms import GrantForm, RevokeForm
from portal.core.vocabulary import Role
from portal.models.breakglass import MAX_HOURS
from portal.security.access import role_required


def _grant_form():
    form = GrantForm()
    form.client.choices = [SelectChoice(c.id, f"{c.name} (#{c.id})") for c in queries.clients()]
    return form


def _page(form, status=200):
    return render_template("admin/break_glass.html", form=form,
                           grants=queries.active_grants(current_user), revoke=RevokeForm(),
                           max_hours=MAX_HOURS), status


@bp.route("/break-glass", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def break_glass():
    """Admins: open emergency read access to a client's record; list the grants in force."""
    form = _grant_form()
    if form.validate_on_submit():
        if not reauthenticate(current_user, form.current.data):
            form.current.errors.append("That is not your password.")
        else:
            client = queries.user_or_404(form.client.data)
            services.grant_access(current_user, client, form.reason.data, form.hours.data)
            flash("Emergency access is open. Every read is recorded and the client's therapist "
                  "was told.", "warning")
            return redirect(url_for("workspace.intake_review", client_id=client.id))
    return _page(form, 400 if form.is_submitted() else 200)


@bp.post("/break-glass/<int:grant_id>/revoke")
@role_required(Role.ADMIN)
def revoke_break_glass(grant_id):
    """Admins: end one of their own break-glass grants now."""
    grant = queries.own_grant_or_404(current_user, grant_id)
    if RevokeForm().validate_on_submit() and services.revoke_grant(current_user, grant):
        flash("Emergency access ended.", "success")
    return redirect(url_for("admin.break_glass"))
