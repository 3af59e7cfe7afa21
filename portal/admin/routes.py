"""Admin views: list staff and clients, create staff, change roles, (de)activate accounts."""
from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from portal.accounts.services import find_user, reauthenticate
from portal.admin.blueprint import bp
from portal.admin.forms import CreateUserForm, DeactivateForm, RoleForm
from portal.core.time import utcnow
from portal.core.vocabulary import Role
from portal.extensions import db
from portal.models.user import User
from portal.security import sessions
from portal.security.access import role_required
from portal.security.audit import record
from portal.security.passwords import hash_password


def _users_page(form, status=200):
    users = db.session.scalars(select(User).order_by(User.role, User.name)).all()
    return render_template("admin/users.html", users=users, form=form, now=utcnow()), status


@bp.get("/users")
@role_required(Role.ADMIN)
def users():
    """Admins: every account with its role and state, and the form to add staff."""
    return _users_page(CreateUserForm())


@bp.post("/users")
@role_required(Role.ADMIN)
def create_user():
    """Admins: create a therapist or admin account (they enrol MFA at first sign-in)."""
    form = CreateUserForm()
    if form.validate_on_submit():
        if find_user(form.email.data) is not None:
            form.email.errors.append("An account with this email already exists.")
        else:
            user = User(name=form.name.data, email=form.email.data, role=form.role.data,
                        timezone=form.timezone.data, password_hash=hash_password(form.password.data),
                        email_verified_at=utcnow())
            db.session.add(user)
            db.session.flush()
            record("user_created", actor=current_user, obj=("user", user.id), detail=user.role)
            db.session.commit()
            flash(f"Account created. {user.name} sets up two-step sign-in at first sign-in.",
                  "success")
            return redirect(url_for("admin.users"))
    return _users_page(form, 400)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def user_detail(user_id):
    """Admins: change one account's role (needs the admin's password)."""
    user = db.session.get(User, user_id) or abort(404)
    form, deactivate = RoleForm(role=user.role), DeactivateForm(prefix="da")
    mfa_reset = DeactivateForm(prefix="mfa")
    if form.validate_on_submit():
        if not reauthenticate(current_user, form.current.data):
            form.current.errors.append("That is not your password.")
        elif user.id == current_user.id and form.role.data != Role.ADMIN.value:
            form.role.errors.append("You cannot remove your own admin role.")
        else:
            old, user.role = user.role, form.role.data
            sessions.revoke_all(user, reason="role_changed")
            record("role_changed", actor=current_user, obj=("user", user.id),
                   detail=f"{old}->{user.role}")
            db.session.commit()
            flash("Role changed. The person must sign in again.", "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return render_template("admin/user.html", user=user, form=form, deactivate=deactivate,
                           mfa_reset=mfa_reset)


@bp.post("/users/<int:user_id>/active")
@role_required(Role.ADMIN)
def toggle_active(user_id):
    """Admins: deactivate an account (signs it out everywhere) or activate it again."""
    user = db.session.get(User, user_id) or abort(404)
    form = DeactivateForm(prefix="da")
    if not form.validate_on_submit() or not reauthenticate(current_user, form.current.data):
        flash("That is not your password; nothing was changed.", "error")
    elif user.id == current_user.id:
        flash("You cannot deactivate your own account.", "error")
    else:
        user.is_active_account = not user.is_active_account
        if not user.is_active_account:
            sessions.revoke_all(user, reason="deactivated")
        record("user_activated" if user.is_active_account else "user_deactivated",
               actor=current_user, obj=("user", user.id))
        db.session.commit()
        flash("Account updated.", "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.post("/users/<int:user_id>/mfa-reset")
@role_required(Role.ADMIN)
def reset_mfa(user_id):
    """Admins: clear someone's two-step sign-in (lost phone); needs the admin's own password.

    The person is signed out everywhere and must set up a new authenticator at next sign-in
    (clinicians are forced to; clients may).
    """
    user = db.session.get(User, user_id) or abort(404)
    form = DeactivateForm(prefix="mfa")
    if not form.validate_on_submit() or not reauthenticate(current_user, form.current.data):
        flash("That is not your password; nothing was changed.", "error")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    user.totp_secret_enc = None
    user.mfa_enabled_at = None
    user.totp_last_counter = None
    user.recovery_codes.clear()
    sessions.revoke_all(user, reason="mfa_reset")
    record("mfa_reset", actor=current_user, obj=("user", user.id))
    db.session.commit()
    flash("Two-step sign-in was reset. The person sets it up again at their next sign-in.",
          "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))
