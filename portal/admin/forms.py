"""Admin forms."""
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Email, Length

from portal.accounts.forms import StrongPasswordMixin, new_password_field
from portal.core.zones import timezone_choices

STAFF_ROLES = [SelectChoice("therapist", "Therapist"),
               SelectChoice("admin", "Practice owner (admin)")]
ALL_ROLES = [*STAFF_ROLES, SelectChoice("client", "Client")]


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
    current = PasswordField("Your password", description="Changing a role needs your password.",
                            validators=[DataRequired("Please enter your password."),
                                        Length(max=1024)])


class DeactivateForm(FlaskForm):
    current = PasswordField("Your password", validators=[
        DataRequired("Please enter your password."), Length(max=1024)])
