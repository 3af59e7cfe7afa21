"""The client's scheduling forms (book, reschedule, cancel, dosing-day readiness), and the parsing
of the two query values the booking pages take (a week's first day and a slot's UTC start), each
refused with a plain message. The therapist's calendar forms are in portal/workspace/forms_calendar.py."""
from datetime import UTC, date, datetime, timedelta

from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from portal.core.bounds import RANGE_TEXT, checked_day, day_in_range
from portal.core.errors import BadValue

TEXT_LIMIT = 2000


# --- query values ---------------------------------------------------------------------------
WEEK_MESSAGE = f"Please choose a week {RANGE_TEXT}, written as YYYY-MM-DD."


def parse_week(value, today):
    """The first day of the week asked for (?week=YYYY-MM-DD), this week when absent; a 400 with
    a plain message when unreadable or outside the range a URL may name (year 9999 overflowed)."""
    if not value:
        return today
    try:
        return checked_day(date.fromisoformat(value), WEEK_MESSAGE)
    except ValueError:
        raise BadValue(WEEK_MESSAGE) from None


def parse_start(value):
    """A slot's start from ?start= or the form (ISO 8601, UTC when no offset); None if unreadable
    or outside the range a URL may name (year 0001 or 9999 overflowed on conversion to UTC)."""
    try:
        start = datetime.fromisoformat((value or "").strip())
    except ValueError:
        return None
    if not day_in_range(start.date()):
        return None
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    return start.astimezone(UTC)


def iso_utc(instant):
    """The form of a slot's start used in links and forms: 2026-03-14T22:00:00Z."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class BookForm(FlaskForm):
    """The confirm page: the slot and a key that makes a repeated submit return the same booking."""
    start = HiddenField(validators=[DataRequired("Please choose a time.")])
    idempotency_key = HiddenField(validators=[DataRequired(), Length(max=64)])


class RescheduleForm(FlaskForm):
    start = HiddenField(validators=[DataRequired("Please choose a time.")])


class CancelForm(FlaskForm):
    message = TextAreaField("Message to your client (optional)", description=(
        "It is included in the cancellation email. Up to 2,000 characters."),
        validators=[Optional(), Length(max=TEXT_LIMIT, message="Please keep the message under "
                                                                 "2,000 characters.")])


YES_NO = [SelectChoice("yes", "Yes"), SelectChoice("no", "No")]


class ReadinessForm(FlaskForm):
    fasting = RadioField("Will you stop eating 4 hours before your session starts?", choices=[
        SelectChoice("yes", "Yes, I will not eat for 4 hours before"),
        SelectChoice("no", "No, or I am not sure")],
        validators=[InputRequired("Please answer this question.")])
    ride_arranged = RadioField("Have you arranged a ride home?", description=(
        "You must not drive until the next day."), choices=[
        SelectChoice("yes", "Yes"), SelectChoice("no", "Not yet")],
        validators=[InputRequired("Please answer this question.")])
    ride_who = StringField("Who is taking you home?", description=(
        "For example: Sam, my partner. Up to 120 characters."),
        validators=[Length(max=120, message="Please keep this under 120 characters.")])
    no_alcohol_benzos = RadioField(
        "In the last 24 hours, have you stayed away from alcohol and benzodiazepines?",
        description="Benzodiazepines include Xanax, Ativan, Klonopin and Valium.", choices=[
            SelectChoice("yes", "Yes, I have had none"),
            SelectChoice("no", "No, I have had some")],
        validators=[InputRequired("Please answer this question.")])
    notes = TextAreaField("Anything you would like your care team to know?", description=(
        "Optional. Up to 2,000 characters."), validators=[Optional(), Length(
            max=TEXT_LIMIT, message="Please keep this under 2,000 characters.")])

    def validate_ride_who(self, field):
        if self.ride_arranged.data == "yes" and not (field.data or "").strip():
            raise ValidationError("Please tell us who is taking you home.")

    def answers(self):
        return {"fasting": self.fasting.data, "ride_arranged": self.ride_arranged.data,
                "ride_who": (self.ride_who.data or "").strip(),
                "no_alcohol_benzos": self.no_alcohol_benzos.data,
                "notes": (self.notes.data or "").strip()}


# --- weeks ----------------------------------------------------------------------------------
def week_bounds(first_day, zone):
    """UTC instants of local midnight at the start of `first_day` and seven days later."""
    start = datetime.combine(first_day, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(first_day + timedelta(days=7), datetime.min.time(), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)
