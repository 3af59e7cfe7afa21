"""Filters of the audit log page (GET form: reading changes nothing, so no CSRF token)."""
from wtforms import DateField, Form, IntegerField, SelectField, StringField
from wtforms.fields import SelectChoice
from wtforms.validators import Length, NumberRange, Optional

OUTCOMES = [SelectChoice("", "Any"), SelectChoice("success", "Success"),
            SelectChoice("failure", "Failure")]


class AuditFilterForm(Form):
    event = StringField("Event", validators=[Optional(), Length(max=64)],
                        description="For example login_failure or role_changed.")
    actor = IntegerField("User id", validators=[Optional(), NumberRange(min=1)])
    outcome = SelectField("Outcome", choices=OUTCOMES, validate_choice=True, default="")
    since = DateField("From (UTC)", validators=[Optional()])
    until = DateField("Until (UTC)", validators=[Optional()])
    page = IntegerField("Page", validators=[Optional(), NumberRange(min=1, max=100000)], default=1)
