"""Sign in and out, and keep an active session alive."""
from flask import current_app, flash, g, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user

from portal.accounts import services
from portal.accounts.blueprint import bp
from portal.accounts.forms import LoginForm, ResendForm
from portal.core.signals import sessions_revoked
from portal.extensions import db, limiter
from portal.security import sessions
from portal.security.access import public
from portal.security.audit import record
from portal.security.redirects import safe_next

GENERIC_LOGIN_ERROR = ("That email and password did not work. Check them and try again. After "
                       "several tries, sign-in pauses for 15 minutes and we email the account "
                       "owner.")


def home_url():
    return url_for("main.home")


@bp.route("/auth/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
@public
def login():
    """Anyone: the sign-in form. Password first, then the second factor when required."""
    if current_user.is_authenticated:
        return redirect(home_url())
    if request.method == "GET" and g.get("session_ended") == "idle_timeout":
        flash("You were signed out after 30 minutes without activity. Anything you saved is "
              "kept; please sign in to continue.", "info")
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        result = services.authenticate(form.email.data, form.password.data)
        if result.needs_verification:
            db.session.commit()
            return render_template("accounts/verify_needed.html", form=ResendForm(email=form.email.data))
        if not result.ok:
            db.session.commit()
            form.password.errors.append(GENERIC_LOGIN_ERROR)
            return render_template("accounts/login.html", form=form)
        row = services.begin_login(result.user)
        session["next"] = safe_next(form.next.data, "")
        db.session.commit()
        if not row.authenticated:
            endpoint = "accounts.mfa_verify" if result.user.mfa_enabled_at else "accounts.mfa_enrol"
            return redirect(url_for(endpoint))
        return redirect(safe_next(session.pop("next", ""), home_url()))
    return render_template("accounts/login.html", form=form)


@bp.post("/auth/logout")
@public
def logout():
    """Anyone with a session: end it on the server, so the old cookie no longer works."""
    row = sessions.end_session("logout")
    if row is not None:
        record("logout", actor=row.user_id, obj=("session", row.id))
        db.session.commit()
        sessions_revoked.send(current_app._get_current_object(), session_ids={row.id})
    flash("You are signed out. Thank you for taking care of yourself today.", "success")
    return redirect(url_for("accounts.login"))


@bp.post("/auth/keepalive")
def keepalive():
    """Signed-in users: the "stay signed in" button of the idle warning; resets the idle timer."""
    row = sessions.current_session()
    row.last_seen_at = services.utcnow()
    db.session.commit()
    return jsonify(ok=True, idle_timeout_s=int(
        current_app.config["SESSION_IDLE_TIMEOUT"].total_seconds()))
