"""Passkeys in account settings (/account/passkeys): the list, adding one (named, after the
password) and removing one. The browser's part is static/js/accounts/passkey-add.js."""
from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from portal.accounts import passkey_io, services, services_passkeys
from portal.accounts.blueprint import bp
from portal.accounts.forms import WRONG_PASSWORD, PasskeyForm, PasskeySetupForm, ReauthForm
from portal.core.bounds import accepts_json
from portal.extensions import limiter
from portal.models.passkey import Passkey
from portal.security.access import get_or_404_for

KEEP_ONE = ("The practice asks staff to sign in with a passkey, so you cannot remove your only "
            "one. Add another passkey first, then remove this one.")


def _render(form=None, removing=None, status=200):
    remove_forms = {p.id: ReauthForm(prefix=f"remove{p.id}") for p in current_user.passkeys}
    if removing is not None:
        remove_forms[removing[0]] = removing[1]
    return render_template(
        "accounts/passkeys.html", passkeys=current_user.passkeys, remove_forms=remove_forms,
        form=form or PasskeyForm(), required=current_app.config["REQUIRE_CLINICIAN_PASSKEYS"]
        and current_user.is_clinician), status


@bp.get("/account/passkeys")
def passkeys():
    """Signed-in users: their passkeys, a way to add one and to remove each."""
    return _render()


@bp.post("/account/passkeys/options")
@limiter.limit("20 per minute")
@accepts_json
def passkey_options():
    """Signed-in users (JSON): check the new passkey's name and the password, then send the
    options for the browser to make the passkey."""
    form = PasskeyForm(formdata=passkey_io.form_data(passkey_io.body()))
    if not form.validate():
        return passkey_io.form_refused(form)
    if not services.reauthenticate(current_user, form.current.data):
        return passkey_io.refused(WRONG_PASSWORD, field="current")
    return passkey_io.options(services_passkeys.start_registration(current_user))


@bp.post("/account/passkeys")
@limiter.limit("20 per minute")
@accepts_json
def add_passkey():
    """Signed-in users (JSON): keep the passkey the browser made for those options."""
    data = passkey_io.body()
    form = PasskeySetupForm(formdata=passkey_io.form_data(data))
    if not form.validate():
        return passkey_io.form_refused(form)
    if services_passkeys.finish_registration(current_user, form.name.data,
                                             data.get("credential")) is None:
        return passkey_io.refused(passkey_io.NOT_ADDED)
    flash(f"Your passkey \u201c{form.name.data}\u201d is added. Next time you sign in, choose "
          "\u201cUse a passkey\u201d.", "success")
    return passkey_io.go_to(url_for("accounts.passkeys"))


@bp.post("/account/passkeys/<int:passkey_id>/remove")
def remove_passkey(passkey_id):
    """Signed-in users: remove one of their own passkeys (needs the password)."""
    passkey = get_or_404_for(current_user, Passkey, passkey_id)
    if services_passkeys.must_keep(current_user, passkey):
        flash(KEEP_ONE, "warning")
        return redirect(url_for("accounts.passkeys"))
    form = ReauthForm(prefix=f"remove{passkey.id}")
    if form.validate_on_submit():
        if services.reauthenticate(current_user, form.current.data):
            services_passkeys.remove(current_user, passkey)
            flash("The passkey is removed. It no longer signs in to your account.", "success")
            return redirect(url_for("accounts.passkeys"))
        form.current.errors.append(WRONG_PASSWORD)
    return _render(removing=(passkey.id, form), status=400)
