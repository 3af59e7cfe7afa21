"""Forms of the accounts area: signing in, registering, credentials and account settings."""
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from portal.core.zones import timezone_choices
from portal.security.passwords import MAX_LENGTH, MIN_LENGTH, password_problem

EMAIL_HELP = "We use this to sign you in and to send reminders. We never email health details."
WRONG_PASSWORD = "That is not your current password."  # noqa: S105 (a message)
CHOOSE_HELP = (f"Use {MIN_LENGTH} to {MAX_LENGTH} characters. A short sentence or a few unrelated "
               "words you can remember work well. Any characters are allowed.")


def _email_field(label="Email address"):
    return EmailField(label, validators=[
        DataRequired("Please enter your email address."),
        Email("Please enter an email address like name@example.com.", check_deliverability=False),
        Length(max=254, message="Email addresses are at most 254 characters.")],
        filters=[lambda v: v.strip().lower() if isinstance(v, str) else v])


def new_password_field(label="New password"):
    # No Length validator: it would render maxlength="128", which browsers count in UTF-16
    # units and enforce by cutting pasted text, truncating emoji passwords. password_problem
    # checks 12-128 characters (after NFKC) on the server.
    return PasswordField(label, description=CHOOSE_HELP, validators=[
        DataRequired("Please choose a password.")])


class StrongPasswordMixin:
    """Checks the `password` field against length and guessability, using the form's own words."""

    def user_inputs(self):
        return [getattr(getattr(self, name, None), "data", None) for name in ("email", "name")]

    def validate_password(self, field):
        problem = password_problem(field.data, self.user_inputs())
        if problem:
            raise ValidationError(problem)


class LoginForm(FlaskForm):
    email = _email_field()
    password = PasswordField("Password", validators=[
        DataRequired("Please enter your password."), Length(max=1024)])
    next = HiddenField()


class MFAForm(FlaskForm):
    code = StringField("Code", description=(
        "The 6-digit code from your authenticator app, or one of your recovery codes."),
        validators=[DataRequired("Please enter a code."), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "text", "autocapitalize": "off"})


class EnrolForm(FlaskForm):
    code = StringField("6-digit code from your app", validators=[
        DataRequired("Please enter the code your app shows."), Length(min=6, max=7,
                                                                      message="The code has 6 digits.")],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class RegistrationForm(StrongPasswordMixin, FlaskForm):
    name = StringField("Your name", description="The name you would like us to use.",
                       validators=[DataRequired("Please tell us your name."),
                                   Length(max=120, message="Please use at most 120 characters.")],
                       filters=[lambda v: v.strip() if isinstance(v, str) else v])
    email = _email_field()
    password = new_password_field("Password")
    confirm = PasswordField("Type the password again", validators=[
        DataRequired("Please type the password again."),
        EqualTo("password", "The two passwords are not the same.")])
    timezone = SelectField("Your time zone", description=(
        "Session times are shown in this zone. We guessed it from your device."),
        choices=timezone_choices, validate_choice=True, default="America/New_York")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.email.description = EMAIL_HELP


class ResendForm(FlaskForm):
    email = _email_field()


class ResetRequestForm(FlaskForm):
    email = _email_field()


class ResetForm(StrongPasswordMixin, FlaskForm):
    password = new_password_field()
    confirm = PasswordField("Type the new password again", validators=[
        DataRequired("Please type the password again."),
        EqualTo("password", "The two passwords are not the same.")])


class ConfirmForm(FlaskForm):
    """A single button: state changes only on POST, never by following a link."""


class ChangePasswordForm(StrongPasswordMixin, FlaskForm):
    current = PasswordField("Current password", validators=[
        DataRequired("Please enter your current password."), Length(max=1024)])
    password = new_password_field()
    confirm = PasswordField("Type the new password again", validators=[
        DataRequired("Please type the password again."),
        EqualTo("password", "The two passwords are not the same.")])


class ChangeEmailForm(FlaskForm):
    current = PasswordField("Current password", validators=[
        DataRequired("Please enter your current password."), Length(max=1024)])
    email = _email_field("New email address")


class ReauthForm(FlaskForm):
    current = PasswordField("Current password", validators=[
        DataRequired("Please enter your current password."), Length(max=1024)])


class TimezoneForm(FlaskForm):
    timezone = SelectField("Your time zone", choices=timezone_choices, validate_choice=True)


PASSKEY_NAME_HELP = ("For example “My phone” or “Work laptop”, so you can tell your "
                     "passkeys apart.")


class PasskeySetupForm(FlaskForm):
    """Adding a passkey: its name. Sent as JSON by static/js/accounts/passkey-add.js, which
    then asks the browser to make the passkey."""

    class Meta:
        csrf = False  # JSON requests carry the token in a header, checked by CSRFProtect

    name = StringField("Name for this passkey", description=PASSKEY_NAME_HELP, validators=[
        DataRequired("Please give this passkey a name."),
        Length(max=60, message="Please use at most 60 characters.")],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        render_kw={"autocomplete": "off"})


class PasskeyForm(PasskeySetupForm):
    """Adding a passkey in account settings also needs the current password: a passkey signs
    in without it, so whoever holds an open session must not be able to add one silently."""

    current = PasswordField("Current password", validators=[
        DataRequired("Please enter your current password."), Length(max=1024)])
