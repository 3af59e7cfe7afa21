"""The second factor: TOTP enrolment (mandatory for clinicians) and verification at sign-in."""
from flask import current_app, flash, redirect, render_template, request, url_for

from portal.accounts import services, services_mfa
from portal.accounts.blueprint import bp
from portal.accounts.forms import EnrolForm, MFAForm
from portal.extensions import limiter
from portal.security import mfa, passkeys, sessions
from portal.security.access import public

WRONG_CODE = "That code did not work. Codes change every 30 seconds; try the newest one."
NO_APP_CODES = ("Codes from an authenticator app no longer sign in to your account: the practice "
                "asks staff to use their passkey. No passkey at hand? Enter a recovery code.")


@bp.route("/auth/mfa", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
@public
def mfa_verify():
    """A user whose password was accepted: use a passkey, or enter the TOTP code or a recovery
    code (only a passkey or a recovery code for clinicians under the practice's passkey rule)."""
    pending = sessions.pending_session()
    if pending is None:
        return redirect(url_for("accounts.login"))
    if pending.user.mfa_enabled_at is None:
        return redirect(url_for("accounts.mfa_enrol"))
    passkey_only = passkeys.totp_refused(pending.user)
    form = MFAForm()
    if passkey_only:
        form.code.label.text = "Recovery code"
        form.code.description = "One of the recovery codes you saved when you set up two-step sign-in."
    if form.validate_on_submit():
        how = services_mfa.verify_second_factor(pending, form.code.data)
        if how == "recovery_code":
            flash(f"Recovery code accepted. You have {mfa.remaining_recovery_codes(pending.user)} "
                  "left; you can make new ones in your account settings.", "warning")
        if how is not None:
            return redirect(services.page_after_sign_in(pending.user))
        form.code.errors.append(NO_APP_CODES if passkey_only and mfa.looks_like_totp(
            form.code.data) else WRONG_CODE)
    return render_template("accounts/mfa.html", form=form, passkey_only=passkey_only,
                           has_passkeys=bool(pending.user.passkeys))


@bp.route("/auth/mfa/setup", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
@public
def mfa_enrol():
    """Set up an authenticator app: QR code and key, then one code to prove it works."""
    user, row = services_mfa.enrolling_user()
    if user is None:
        return redirect(url_for("accounts.login"))
    secret = services_mfa.enrolment_key(user, row, fresh=request.method == "GET")
    form = EnrolForm()
    if form.validate_on_submit():
        codes = services_mfa.enrol(user, row, form.code.data)
        if codes is not None:
            return render_template("accounts/recovery_codes.html", codes=codes,
                                   next_url=services.page_after_sign_in(user))
        form.code.errors.append("That code did not match. Check the time on your phone is "
                                "set automatically, then try the newest code. If you opened "
                                "this page again, scan the code shown now.")
    uri = mfa.provisioning_uri(secret, user.email, current_app.config["MFA_ISSUER"])
    return render_template("accounts/mfa_enrol.html", form=form, qr_svg=mfa.qr_svg(uri),
                           secret=" ".join(secret[i:i + 4] for i in range(0, len(secret), 4)))
