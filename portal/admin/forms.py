"""Admin forms: staff accounts, roles, (de)activation and break-glass access."""
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Email, Length

from portal.accounts.forms import StrongPasswordMixin, new_password_field
from portal.core.bounds import NumberBetween
from portal.core.vocabulary import Role
from portal.core.zones import timezone_choices
from portal.models.breakglass import MAX_HOURS

STAFF_ROLES = [SelectChoice(Role.THERAPIST.value, "Therapist"),
               SelectChoice(Role.ADMIN.value, "Practice owner (admin)")]
ALL_ROLES = [*STAFF_ROLES, SelectChoice(Role.CLIENT.value, "Client")]
REASON_MIN, REASON_MAX = 20, 1000


def _own_password(**kwargs):
    return PasswordField("Your password", validators=[
        DataRequired("Please enter your password."), Length(max=1024)], **kwargs)


class CreateUserForm(StrongPasswordMixin, FlaskForm):
    name = StringField("Full name", validators=[DataRequired("Please enter a name."),
                                                Length(max=120)])
    email = EmailField("Email address", validators=[
        DataRequired("Please enter an email address."),
        Email("Please enter an email address like name@example.com.", check_deliverability=False),
        Length(max=254)], filters=[lambda v: v.strip().lower() if isinstance(v, str) else v])
    role = SelectField("Role", choices=STAFF_ROLES, validate_choice=True)
    timezone = SelectField("Time zone", choices=timezone_choices, validate_choice=True,
                           default="America/New_York")
    password = new_password_field("First password")


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ALL_ROLES, validate_choice=True)
    current = _own_password(description="Changing a role needs your password.")


class DeactivateForm(FlaskForm):
    """The admin's own password, for deactivating an account or resetting its second factor."""

    current = _own_password()


class GrantForm(FlaskForm):
    """Break-glass: open time-limited read access to one client's record."""

    client = SelectField("Client", coerce=int, validate_choice=True)
    reason = TextAreaField("Reason", validators=[
        DataRequired("Please say why you need emergency access."),
        Length(REASON_MIN, REASON_MAX, f"Please write {REASON_MIN} to {REASON_MAX} characters.")],
        description="Kept encrypted; the client's therapist sees that access was opened.")
    hours = SelectField("Duration", coerce=int, validate_choice=True,
                        choices=[SelectChoice(h, f"{h} hour{'s' if h > 1 else ''}")
                                 for h in range(1, MAX_HOURS + 1)],
                        validators=[NumberBetween(1, MAX_HOURS)])
    current = _own_password()


class RevokeForm(FlaskForm):
    """End a break-glass grant now (a button: the CSRF token only)."""
