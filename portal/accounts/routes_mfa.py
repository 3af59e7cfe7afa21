"""The second factor: TOTP enrolment (mandatory for clinicians) and verification at sign-in."""
from flask import current_app, flash, redirect, render_template, session, url_for
from flask_login import current_user

from portal.accounts import services
from portal.accounts.blueprint import bp
from portal.accounts.forms import EnrolForm, MFAForm
from portal.core.time import utcnow
from portal.extensions import db, limiter
from portal.security import mfa, sessions
from portal.security.access import public
from portal.security.audit import record
from portal.security.redirects import safe_next


def _after_mfa():
    return redirect(safe_next(session.pop("next", ""), url_for("main.home")))


@bp.route("/auth/mfa", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
@public
def mfa_verify():
    """A user whose password was accepted: enter the TOTP code or a recovery code."""
    pending = sessions.pending_session()
    if pending is None:
        return redirect(url_for("accounts.login"))
    user = pending.user
    if user.mfa_enabled_at is None:
        return redirect(url_for("accounts.mfa_enrol"))
    form = MFAForm()
    if form.validate_on_submit():
        # Lock the user's row so two simultaneous sign-ins cannot both use one code (PostgreSQL;
        # SQLite transactions are already serialised).
        db.session.refresh(user, with_for_update=True)
        now = utcnow()
        code = form.code.data.strip()
        if user.is_locked(now):
            ok = False
        elif mfa.verify_totp(user, code):
            ok, how = True, "totp"
        elif len(code.replace("-", "")) == 10 and mfa.use_recovery_code(user, code):
            ok, how = True, "recovery_code"
        else:
            ok = False
        if ok:
            sessions.mark_mfa_passed(pending)
            user.clear_failed_logins()
            record("mfa_success", actor=user, obj=("session", pending.id), detail=how)
            record("login_success", actor=user, obj=("session", pending.id))
            db.session.commit()
            if how == "recovery_code":
                flash(f"Recovery code accepted. You have {mfa.remaining_recovery_codes(user)} "
                      "left; you can make new ones in your account settings.", "warning")
            return _after_mfa()
        services.note_failure(user, now, "bad_mfa_code")
        db.session.commit()
        form.code.errors.append("That code did not work. Codes change every 30 seconds; "
                                "try the newest one.")
    return render_template("accounts/mfa.html", form=form)


def _enrolling_user():
    """The user setting up TOTP: a pending clinician, or a signed-in client opting in."""
    pending = sessions.pending_session()
    if pending is not None and pending.user.mfa_enabled_at is None:
        return pending.user, pending
    if current_user.is_authenticated and current_user.mfa_enabled_at is None:
        return current_user, sessions.current_session()
    return None, None


@bp.route("/auth/mfa/setup", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
@public
def mfa_enrol():
    """Set up an authenticator app: QR code and key, then one code to prove it works."""
    user, row = _enrolling_user()
    if user is None:
        return redirect(url_for("accounts.login"))
    if user.totp_secret_enc is None:
        mfa.store_secret(user, mfa.new_secret())
        db.session.commit()
    secret = mfa.user_secret(user)
    form = EnrolForm()
    if form.validate_on_submit():
        if mfa.verify_totp(user, form.code.data, secret=secret):
            user.mfa_enabled_at = utcnow()
            codes = mfa.new_recovery_codes(user)
            if not row.authenticated:
                sessions.mark_mfa_passed(row)
                record("login_success", actor=user, obj=("session", row.id))
            record("mfa_enrolled", actor=user, obj=("user", user.id))
            db.session.commit()
            return render_template("accounts/recovery_codes.html", codes=codes,
                                   next_url=safe_next(session.pop("next", ""),
                                                      url_for("main.home")))
        form.code.errors.append("That code did not match. Check the time on your phone is "
                                "set automatically, then try the newest code.")
    uri = mfa.provisioning_uri(secret, user.email, current_app.config["MFA_ISSUER"])
    return render_template("accounts/mfa_enrol.html", form=form, qr_svg=mfa.qr_svg(uri),
                           secret=" ".join(secret[i:i + 4] for i in range(0, len(secret), 4)))
