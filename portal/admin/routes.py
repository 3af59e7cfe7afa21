"""Admin views: list staff and clients, create staff, change roles, (de)activate accounts."""
from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from portal.accounts.services import find_user, reauthenticate
from portal.admin import queries, services
from portal.admin.blueprint import bp
from portal.admin.forms import CreateUserForm, DeactivateForm, RoleForm
from portal.core.time import utcnow
from portal.core.vocabulary import Role
from portal.security.access import role_required

NOTHING_CHANGED = "That is not your password; nothing was changed."


def _users_page(form, status=200):
    return render_template("admin/users.html", users=queries.all_users(), form=form,
                           now=utcnow()), status


@bp.get("/users")
@role_required(Role.ADMIN)
def users():
    """Admins: every account with its role and state, and the form to add staff."""
    return _users_page(CreateUserForm())


@bp.post("/users")
@role_required(Role.ADMIN)
def create_user():
    """Admins: create a therapist or admin account (they enrol MFA and replace the password at
    first sign-in)."""
    form = CreateUserForm()
    if form.validate_on_submit():
        if find_user(form.email.data) is not None:
            form.email.errors.append("An account with this email already exists.")
        else:
            user = services.create_staff(current_user, form.name.data, form.email.data,
                                         form.role.data, form.timezone.data, form.password.data)
            flash(f"Account created. At first sign-in {user.name} sets up two-step sign-in "
                  "and then chooses their own password.", "success")
            return redirect(url_for("admin.users"))
    return _users_page(form, 400)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def user_detail(user_id):
    """Admins: change one account's role (needs the admin's password)."""
    user = queries.user_or_404(user_id)
    form, deactivate = RoleForm(role=user.role), DeactivateForm(prefix="da")
    mfa_reset = DeactivateForm(prefix="mfa")
    if form.validate_on_submit():
        if not reauthenticate(current_user, form.current.data):
            form.current.errors.append("That is not your password.")
        elif user.id == current_user.id and form.role.data != Role.ADMIN.value:
            form.role.errors.append("You cannot remove your own admin role.")
        else:
            services.change_role(current_user, user, form.role.data)
            flash("Role changed. The person must sign in again.", "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return render_template("admin/user.html", user=user, form=form, deactivate=deactivate,
                           mfa_reset=mfa_reset)


@bp.post("/users/<int:user_id>/active")
@role_required(Role.ADMIN)
def toggle_active(user_id):
    """Admins: deactivate an account (signs it out everywhere) or activate it again."""
    user = queries.user_or_404(user_id)
    form = DeactivateForm(prefix="da")
    if not form.validate_on_submit() or not reauthenticate(current_user, form.current.data):
        flash(NOTHING_CHANGED, "error")
    elif user.id == current_user.id:
        flash("You cannot deactivate your own account.", "error")
    else:
        services.toggle_active(current_user, user)
        flash("Account updated.", "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.post("/users/<int:user_id>/mfa-reset")
@role_required(Role.ADMIN)
def reset_mfa(user_id):
    """Admins: clear someone's two-step sign-in (lost phone); needs the admin's own password.

    The person is signed out everywhere and must set up a new authenticator at next sign-in
    (clinicians are forced to; clients may).
    """
    user = queries.user_or_404(user_id)
    form = DeactivateForm(prefix="mfa")
    if not form.validate_on_submit() or not reauthenticate(current_user, form.current.data):
        flash(NOTHING_CHANGED, "error")
    else:
        services.reset_mfa(current_user, user)
        flash("Two-step sign-in was reset. The person sets it up again at their next sign-in.",
              "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))
