"""The second factor: TOTP enrolment (mandatory for clinicians) and verification at sign-in."""
from flask import current_app, flash, redirect, render_template, request, session, url_for

from portal.accounts import services_mfa
from portal.accounts.blueprint import bp
from portal.accounts.forms import EnrolForm, MFAForm
from portal.extensions import limiter
from portal.security import mfa, sessions
from portal.security.access import public
from portal.security.redirects import safe_next


def _next_url(user):
    """Where a finished second factor goes: the page for choosing one's own password first
    when an admin set it (the wanted page stays in the session for afterwards)."""
    if user.must_change_password:
        return url_for("accounts.choose_password")
    return safe_next(session.pop("next", ""), url_for("main.home"))


@bp.route("/auth/mfa", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
@public
def mfa_verify():
    """A user whose password was accepted: enter the TOTP code or a recovery code."""
    pending = sessions.pending_session()
    if pending is None:
        return redirect(url_for("accounts.login"))
    if pending.user.mfa_enabled_at is None:
        return redirect(url_for("accounts.mfa_enrol"))
    form = MFAForm()
    if form.validate_on_submit():
        how = services_mfa.verify_second_factor(pending, form.code.data)
        if how == "recovery_code":
            flash(f"Recovery code accepted. You have {mfa.remaining_recovery_codes(pending.user)} "
                  "left; you can make new ones in your account settings.", "warning")
        if how is not None:
            return redirect(_next_url(pending.user))
        form.code.errors.append("That code did not work. Codes change every 30 seconds; "
                                "try the newest one.")
    return render_template("accounts/mfa.html", form=form)


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
                                   next_url=_next_url(user))
        form.code.errors.append("That code did not match. Check the time on your phone is "
                                "set automatically, then try the newest code. If you opened "
                                "this page again, scan the code shown now.")
    uri = mfa.provisioning_uri(secret, user.email, current_app.config["MFA_ISSUER"])
    return render_template("accounts/mfa_enrol.html", form=form, qr_svg=mfa.qr_svg(uri),
                           secret=" ".join(secret[i:i + 4] for i in range(0, len(secret), 4)))
