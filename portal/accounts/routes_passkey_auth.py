"""Signing in with a passkey: without a password (it counts as both factors), or as the second
factor after the password; and the page where the practice's passkey rule holds clinicians
until they add one. All public, as the password steps are: each view answers only the state of
sign-in it is for. The browser's part is static/js/accounts/passkey-sign-in.js and
passkey-add.js."""
from flask import current_app, flash, redirect, render_template, session, url_for
from flask_login import current_user

from portal.accounts import passkey_io, services, services_passkeys
from portal.accounts.blueprint import bp
from portal.accounts.forms import PasskeySetupForm
from portal.core.bounds import accepts_json
from portal.extensions import limiter
from portal.security import sessions
from portal.security.access import public
from portal.security.redirects import safe_next

DID_NOT_WORK = ("That passkey did not work. Try again, or sign in with your email and password. "
                "If your account is paused after several tries, we email its owner.")
CONFIRM_EMAIL = ("Please confirm your email address first: open the link we sent when you "
                 "created your account, then sign in.")
START_AGAIN = "This sign-in has ended. Please sign in again."


# --- without a password ----------------------------------------------------------------------
@bp.post("/auth/passkey/options")
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"])
@public
@accepts_json
def passkey_sign_in_options():
    """Anyone (JSON): options for signing in with a passkey of this site."""
    return passkey_io.options(services_passkeys.start_sign_in())


@bp.post("/auth/passkey")
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"])
@public
@accepts_json
def passkey_sign_in():
    """Anyone (JSON): sign in with the passkey the browser chose, verified on the device."""
    data = passkey_io.body()
    result = services_passkeys.finish_sign_in(data.get("credential"))
    if not result.ok:
        return passkey_io.refused(CONFIRM_EMAIL if result.needs_verification else DID_NOT_WORK)
    wanted = data.get("next")
    session["next"] = safe_next(wanted if isinstance(wanted, str) else "", "")
    return passkey_io.go_to(services.page_after_sign_in(result.user))


# --- the second factor -----------------------------------------------------------------------
@bp.post("/auth/mfa/passkey/options")
@limiter.limit("20 per minute")
@public
@accepts_json
def mfa_passkey_options():
    """A user whose password was accepted (JSON): options for signing with their passkey."""
    pending = sessions.pending_session()
    if pending is None or not pending.user.passkeys:
        return passkey_io.refused(START_AGAIN, status=401)
    return passkey_io.options(services_passkeys.start_second_factor(pending))


@bp.post("/auth/mfa/passkey")
@limiter.limit("20 per minute")
@public
@accepts_json
def mfa_passkey():
    """A user whose password was accepted (JSON): finish signing in with their passkey."""
    pending = sessions.pending_session()
    if pending is None:
        return passkey_io.refused(START_AGAIN, status=401)
    if not services_passkeys.finish_second_factor(pending, passkey_io.body().get("credential")):
        return passkey_io.refused(DID_NOT_WORK)
    return passkey_io.go_to(services.page_after_sign_in(pending.user))


# --- the practice's rule: clinicians add a passkey first -------------------------------------
def _away():
    return url_for("main.home" if current_user.is_authenticated else "accounts.login")


@bp.get("/auth/passkey/setup")
@public
def passkey_setup():
    """Clinicians held by the practice's passkey rule after signing in: add a passkey; nothing
    else opens until they do (portal.security.access.unauthorized sends them here)."""
    if services_passkeys.setup_user() is None:
        return redirect(_away())
    return render_template("accounts/passkey_setup.html", form=PasskeySetupForm())


@bp.post("/auth/passkey/setup/options")
@limiter.limit("20 per minute")
@public
@accepts_json
def passkey_setup_options():
    """Clinicians held by the passkey rule (JSON): options for making their passkey."""
    user = services_passkeys.setup_user()
    if user is None:
        return passkey_io.refused(START_AGAIN, status=401)
    form = PasskeySetupForm(formdata=passkey_io.form_data(passkey_io.body()))
    if not form.validate():
        return passkey_io.form_refused(form)
    return passkey_io.options(services_passkeys.start_registration(user))


@bp.post("/auth/passkey/setup")
@limiter.limit("20 per minute")
@public
@accepts_json
def passkey_setup_add():
    """Clinicians held by the passkey rule (JSON): keep their new passkey, which opens the
    portal to them."""
    user = services_passkeys.setup_user()
    if user is None:
        return passkey_io.refused(START_AGAIN, status=401)
    data = passkey_io.body()
    form = PasskeySetupForm(formdata=passkey_io.form_data(data))
    if not form.validate():
        return passkey_io.form_refused(form)
    if services_passkeys.finish_registration(user, form.name.data, data.get("credential")) is None:
        return passkey_io.refused(passkey_io.NOT_ADDED)
    flash("Your passkey is added. From now on, sign in with it.", "success")
    return passkey_io.go_to(url_for("main.home"))
