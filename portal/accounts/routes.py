"""Sign in and out, and keep an active session alive."""
from flask import current_app, flash, g, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user

from portal.accounts import services
from portal.accounts.blueprint import bp
from portal.accounts.forms import LoginForm, ResendForm
from portal.extensions import limiter
from portal.security.access import public
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
        result = services.sign_in(form.email.data, form.password.data)
        if result.needs_verification:
            return render_template("accounts/verify_needed.html", form=ResendForm(email=form.email.data))
        if not result.ok:
            form.password.errors.append(GENERIC_LOGIN_ERROR)
            return render_template("accounts/login.html", form=form)
        # After sign_in: starting the session cleared the cookie session.
        session["next"] = safe_next(form.next.data, "")
        if not result.login_session.authenticated:
            endpoint = "accounts.mfa_verify" if result.user.mfa_enabled_at else "accounts.mfa_enrol"
            return redirect(url_for(endpoint))
        return redirect(safe_next(session.pop("next", ""), home_url()))
    return render_template("accounts/login.html", form=form)


@bp.post("/auth/logout")
@public
def logout():
    """Anyone with a session: end it on the server, so the old cookie no longer works."""
    services.sign_out()
    flash("You are signed out. Thank you for taking care of yourself today.", "success")
    return redirect(url_for("accounts.login"))


@bp.post("/auth/keepalive")
def keepalive():
    """Signed-in users: the "stay signed in" button of the idle warning; resets the idle timer."""
    services.keep_alive()
    return jsonify(ok=True, idle_timeout_s=int(
        current_app.config["SESSION_IDLE_TIMEOUT"].total_seconds()))
