"""Forgotten-password reset by emailed, single-use, expiring link, and the first password a
clinician chooses in place of the one an admin set."""
from flask import current_app, flash, redirect, render_template, session, url_for
from flask_login import current_user

from portal.accounts import services
from portal.accounts.blueprint import bp
from portal.accounts.forms import ResetForm, ResetRequestForm
from portal.extensions import limiter
from portal.security import sessions
from portal.security.access import public
from portal.security.redirects import safe_next


@bp.route("/auth/reset", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_RESET"], methods=["POST"])
@public
def reset_request():
    """Anyone: ask for a reset link. The answer is the same whether or not the email exists."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        services.send_reset(form.email.data)
        return render_template("accounts/reset_sent.html", email=form.email.data)
    return render_template("accounts/reset_request.html", form=form)


@bp.route("/auth/reset/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_RESET"], methods=["POST"])
@public
def reset_password(token):
    """Holder of a reset link: choose a new password. Signs out everywhere; MFA still applies."""
    user = services.user_for_reset(token)
    if user is None:
        return render_template("accounts/link_invalid.html", what="reset"), 400
    form = ResetForm()
    form.user_inputs = lambda: [user.email, user.name]
    if form.validate_on_submit():
        services.reset_password(user, form.password.data)
        flash("Your password is changed. Please sign in with it.", "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form)


@bp.route("/auth/password/choose", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_RESET"], methods=["POST"])
@public
def choose_password():
    """Clinicians whose password an admin set, after both factors: choose their own; nothing
    else opens until they do (portal.security.access.unauthorized sends them here)."""
    row = sessions.password_change_session()
    if row is None:
        return redirect(url_for("main.home" if current_user.is_authenticated
                                else "accounts.login"))
    user = row.user
    form = ResetForm()
    form.user_inputs = lambda: [user.email, user.name]
    if form.validate_on_submit():
        if services.replace_initial_password(user, form.password.data):
            flash("Your password is saved. Welcome to the portal.", "success")
            return redirect(safe_next(session.pop("next", ""), url_for("main.home")))
        form.password.errors.append("That is the password you were given. Please choose a new "
                                    "one of your own.")
    return render_template("accounts/choose_password.html", form=form), 400 if form.errors else 200
