"""Forgotten-password reset by emailed, single-use, expiring link."""
from flask import current_app, flash, redirect, render_template, url_for

from portal.accounts import services
from portal.accounts.blueprint import bp
from portal.accounts.forms import ResetForm, ResetRequestForm
from portal.extensions import limiter
from portal.security.access import public


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
