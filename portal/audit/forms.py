"""Filters of the audit log page (GET form: reading changes nothing, so no CSRF token)."""
from wtforms import DateField, Form, IntegerField, SelectField, StringField
from wtforms.fields import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from portal.core.audit_words import AUDIT_EVENTS
from portal.core.bounds import ID_MAX, RANGE_TEXT, NumberBetween, day_in_range

OUTCOMES = [SelectChoice("", "Any"), SelectChoice("success", "Success"),
            SelectChoice("failure", "Failure")]


class AuditFilterForm(Form):
    event = StringField("Event", validators=[Optional(), Length(max=64)],
                        description="For example login_failure or role_changed.")
    actor = IntegerField("User id", validators=[Optional(), NumberBetween(
        1, ID_MAX, f"Please enter a user id between 1 and {ID_MAX}.")])
    outcome = SelectField("Outcome", choices=OUTCOMES, validate_choice=True, default="")
    since = DateField("From (UTC)", validators=[Optional()])
    until = DateField("Until (UTC)", validators=[Optional()])
    page = IntegerField("Page", validators=[Optional(), NumberBetween(1, 100000)], default=1)

    # Event names are stored as opaque codes: only a known name can be looked for.
    def validate_event(self, field):
        if field.data and field.data.strip() not in AUDIT_EVENTS:
            raise ValidationError("No event has that name. For example login_failure or "
                                  "role_changed.")

    # Year 0001 and 9999 overflowed when the page turned a day into a range of instants.
    def validate_since(self, field):
        if field.data is not None and not day_in_range(field.data):
            raise ValidationError(f"Please enter a date {RANGE_TEXT}.")

    validate_until = validate_since
