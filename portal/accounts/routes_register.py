"""Registration (self-service or by invitation) and email verification."""
from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from portal.accounts import services_registration as registration
from portal.accounts.blueprint import bp
from portal.accounts.forms import ConfirmForm, RegistrationForm, ResendForm
from portal.extensions import limiter
from portal.security.access import public


@bp.route("/auth/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_REGISTER"], methods=["POST"])
@public
def register():
    """Anyone: create a client account; the email must be confirmed before anything else."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = RegistrationForm()
    if form.validate_on_submit():
        registration.register(form.name.data, form.email.data, form.password.data,
                              form.timezone.data)
        return render_template("accounts/check_email.html", email=form.email.data)
    return render_template("accounts/register.html", form=form)


@bp.route("/auth/verify/<token>", methods=["GET", "POST"])
@public
def verify_email(token):
    """Anyone holding the emailed link: confirm the address with one button (POST, not GET)."""
    form = ConfirmForm()
    if form.validate_on_submit():
        if registration.verify_email(token) is None:
            return render_template("accounts/link_invalid.html", what="confirmation"), 400
        flash("Thank you, your email is confirmed. You can sign in now.", "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/verify_confirm.html", form=form)


@bp.post("/auth/verify/resend")
@limiter.limit(lambda: current_app.config["RATELIMIT_RESET"])
@public
def resend_verification():
    """Anyone: send a fresh confirmation link; the answer never says whether the email exists."""
    form = ResendForm()
    if form.validate_on_submit():
        registration.resend_verification(form.email.data)
        return render_template("accounts/check_email.html", email=form.email.data)
    return render_template("accounts/verify_needed.html", form=form)


@bp.route("/auth/invite/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_REGISTER"], methods=["POST"])
@public
def accept_invite(token):
    """An invited client: register with the invited email, which the link already verifies."""
    invite = registration.invitation_for(token)
    if invite is None:
        return render_template("accounts/link_invalid.html", what="invitation"), 400
    form = RegistrationForm(email=invite.email)
    form.email.render_kw = {"readonly": True}
    form.email.description = "This is the address your therapist invited."
    form.email.raw_data = [invite.email]
    form.email.data = invite.email
    if form.validate_on_submit():
        user = registration.accept_invitation(invite, form.name.data, form.password.data,
                                              form.timezone.data)
        if user is None:
            flash("You already have an account with this email. Please sign in.", "info")
        else:
            flash("Your account is ready. Please sign in.", "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/register.html", form=form, invite=invite)
