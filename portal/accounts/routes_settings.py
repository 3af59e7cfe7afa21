"""Account settings for every signed-in user: password, email, time zone, two-step sign-in
(passkeys have their own page: routes_passkeys.py)."""
from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from portal.accounts import services, services_mfa, services_settings
from portal.accounts.blueprint import bp
from portal.accounts.forms import (
    WRONG_PASSWORD,
    ChangeEmailForm,
    ChangePasswordForm,
    ConfirmForm,
    ReauthForm,
    TimezoneForm,
)
from portal.security import mfa
from portal.security.access import public


def _forms(**overrides):
    forms = {"password_form": ChangePasswordForm(prefix="pw"),
             "email_form": ChangeEmailForm(prefix="em"),
             "tz_form": TimezoneForm(prefix="tz", timezone=current_user.timezone),
             "mfa_form": ReauthForm(prefix="mfa")}
    forms.update(overrides)
    return forms


def _render(**overrides):
    return render_template("accounts/account.html", remaining_codes=mfa.remaining_recovery_codes(
        current_user), passkey_count=len(current_user.passkeys), **_forms(**overrides))


@bp.get("/account")
def account():
    """Signed-in users: their account settings."""
    return _render()


@bp.post("/account/password")
def change_password():
    """Signed-in users: change password (needs the current one); ends all other sessions."""
    form = ChangePasswordForm(prefix="pw")
    form.user_inputs = lambda: [current_user.email, current_user.name]
    if form.validate_on_submit():
        if not services.reauthenticate(current_user, form.current.data):
            form.current.errors.append(WRONG_PASSWORD)
        else:
            services.change_password(current_user, form.password.data)
            flash("Your password is changed. Other devices were signed out.", "success")
            return redirect(url_for("accounts.account"))
    return _render(password_form=form), 400


@bp.post("/account/email")
def change_email():
    """Signed-in users: ask to change the sign-in email (needs the password, then a link)."""
    form = ChangeEmailForm(prefix="em")
    if form.validate_on_submit():
        if not services.reauthenticate(current_user, form.current.data):
            form.current.errors.append(WRONG_PASSWORD)
        else:
            services.request_email_change(current_user, form.email.data)
            flash("We sent a confirmation link to the new address. The change happens when "
                  "you open it.", "info")
            return redirect(url_for("accounts.account"))
    return _render(email_form=form), 400


@bp.route("/account/email/<token>", methods=["GET", "POST"])
@public
def confirm_email_change(token):
    """Holder of the link sent to a new address: confirm the change with one button."""
    form = ConfirmForm()
    if form.validate_on_submit():
        if services.confirm_email_change(token) is None:
            return render_template("accounts/link_invalid.html", what="confirmation"), 400
        flash("Your sign-in email is changed.", "success")
        return redirect(url_for("accounts.account" if current_user.is_authenticated
                                else "accounts.login"))
    return render_template("accounts/verify_confirm.html", form=form)


@bp.post("/account/timezone")
def change_timezone():
    """Signed-in users: the zone in which times are shown to them."""
    form = TimezoneForm(prefix="tz")
    if form.validate_on_submit():
        services_settings.change_timezone(current_user, form.timezone.data)
        flash("Your time zone is saved.", "success")
        return redirect(url_for("accounts.account"))
    return _render(tz_form=form), 400


@bp.post("/account/mfa/codes")
def new_recovery_codes():
    """Users with two-step sign-in: replace the recovery codes (needs the password)."""
    form = ReauthForm(prefix="mfa")
    if form.validate_on_submit() and current_user.mfa_enabled_at is not None:
        if services.reauthenticate(current_user, form.current.data):
            return render_template("accounts/recovery_codes.html",
                                   codes=services_mfa.renew_recovery_codes(current_user),
                                   next_url=url_for("accounts.account"))
        form.current.errors.append(WRONG_PASSWORD)
    return _render(mfa_form=form), 400


@bp.post("/account/mfa/disable")
def disable_mfa():
    """Clients only (clinicians must keep it): turn two-step sign-in off (needs the password)."""
    form = ReauthForm(prefix="mfa")
    if current_user.is_clinician:
        flash("Two-step sign-in is required for practice staff.", "warning")
        return redirect(url_for("accounts.account"))
    if form.validate_on_submit():
        if services.reauthenticate(current_user, form.current.data):
            services_mfa.disable(current_user)
            flash("Two-step sign-in is off.", "info")
            return redirect(url_for("accounts.account"))
        form.current.errors.append(WRONG_PASSWORD)
    return _render(mfa_form=form), 400
