"""The therapist's calendar forms: weekly hours, date overrides, session-type settings and a
session's outcome, each refused with a plain message next to the field."""
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from portal.core.vocabulary import Modality, SessionKind

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MAX_BLOCK_MIN = 12 * 60  # slots.MAX_BLOCK: a session plus its buffers never exceeds this
OVERRIDE_MAX = 500  # the reason for booking a session a gate of the arc would refuse


def wall(value):
    """A wall-clock time for people: 9:00 AM."""
    return value.strftime("%-I:%M %p")


class PlainTimeField(TimeField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError("Please enter a time, for example 09:00 AM.") from exc


class PlainDateField(DateField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError("Please enter a date, for example 03/14/2026.") from exc


# --- a session's outcome ------------------------------------------------------------------
class OutcomeForm(FlaskForm):
    status = HiddenField(validators=[DataRequired()])


def _end_after_start(form, field):
    if form.start.data and field.data and field.data <= form.start.data:
        raise ValidationError("The end must be later than the start.")


class WeeklyHoursForm(FlaskForm):
    """One range of weekly hours; the view sets `existing` to the ranges already on file."""
    weekday = SelectField("Day", choices=[SelectChoice(n, d) for n, d in enumerate(WEEKDAYS)],
                          coerce=int)
    start = PlainTimeField("From", validators=[InputRequired("Please enter a start time.")])
    end = PlainTimeField("Until", validators=[InputRequired("Please enter an end time."),
                                              _end_after_start])

    existing = ()

    def validate_start(self, field):
        if not (field.data and self.end.data) or self.end.data <= field.data:
            return
        for rule in self.existing:
            if rule.weekday == self.weekday.data and rule.start_time < self.end.data \
                    and rule.end_time > field.data:
                raise ValidationError(
                    f"This overlaps your hours on {WEEKDAYS[rule.weekday]}s from "
                    f"{wall(rule.start_time)} to {wall(rule.end_time)}.")


class OverrideForm(FlaskForm):
    """A date's exception; the view sets `today` (the therapist's local date)."""
    day = PlainDateField("Date", validators=[InputRequired("Please enter a date.")])
    available = RadioField("What changes on that date?", choices=[
        SelectChoice("off", "I am not available (a day off or holiday, or some hours off)"),
        SelectChoice("extra", "I am available for extra hours")],
        validators=[InputRequired("Please choose one.")])
    start = PlainTimeField("From", validators=[Optional()], description=(
        "Leave both times empty for a whole day off."))
    end = PlainTimeField("Until", validators=[Optional()])
    note = StringField("Note for yourself (optional)", description="Up to 120 characters.",
                       validators=[Optional(), Length(max=120, message=(
                           "Please keep the note under 120 characters."))])

    today = None

    def validate_day(self, field):
        if self.today and field.data and field.data < self.today:
            raise ValidationError("Please choose today or a later date.")

    def validate(self, extra_validators=None):
        """Checks across fields (the times are optional one by one, so not field validators)."""
        valid = super().validate(extra_validators)
        start, end = self.start.data, self.end.data
        if self.start.errors or self.end.errors:
            return False
        if self.available.data == "extra" and not (start and end):
            self.end.errors.append("Please enter the start and end of the extra hours.")
        elif bool(start) != bool(end):
            self.end.errors.append("Please enter both times, or leave both empty.")
        elif start and end <= start:
            self.end.errors.append("The end must be later than the start.")
        return valid and not self.end.errors


class PlainIntegerField(IntegerField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError("Please enter a whole number, for example 30.") from exc


def _between(low, high):
    def check(form, field):
        if field.data is not None and not low <= field.data <= high:
            raise ValidationError(f"Please enter a number from {low} to {high}.")
    return check


def _minutes(label, low, high, description=None):
    return PlainIntegerField(label, description=description, validators=[
        InputRequired("Please enter a whole number."), _between(low, high)])


class SessionTypeForm(FlaskForm):
    duration_min = _minutes("Length of the session (minutes)", 5, 480)
    buffer_before_min = _minutes("Free time before (minutes)", 0, 240,
                                 "Kept free before the session, for preparation.")
    buffer_after_min = _minutes("Free time after (minutes)", 0, 240,
                                "Kept free after the session, for notes and a break.")
    min_notice_hours = _minutes("Minimum notice (hours)", 0, 720,
                                "How long before a session clients can still book it.")
    horizon_days = _minutes("Booking window (days)", 1, 365,
                            "How many days ahead clients can book.")
    slot_step_min = SelectField("Start times every", coerce=int, choices=[
        SelectChoice(m, f"{m} minutes") for m in (5, 10, 15, 20, 30, 60)])
    modality = RadioField("Where the session happens", choices=[
        SelectChoice(Modality.VIDEO.value, "Video call"),
        SelectChoice(Modality.IN_PERSON.value, "In person")],
        validators=[InputRequired("Please choose one.")])
    location = TextAreaField("Address (for in-person sessions)", description=(
        "Shown to the client when they book and in their emails."),
        validators=[Length(max=500, message="Please keep the address under "
                                                        "500 characters.")])
    active = BooleanField("Clients can book this kind of session")

    kind = None

    def for_kind(self, kind):
        """The form of a session type of `kind`: dosing is always in person, so its form offers
        no video call (and a posted one is refused with a message, see validate_modality)."""
        self.kind = kind
        if kind == SessionKind.DOSING:
            self.modality.choices = [c for c in self.modality.choices
                                     if c.value == Modality.IN_PERSON.value]
            self.modality.validate_choice = False
            self.modality.description = "Dosing sessions are always in person, at the practice."
        return self

    def validate_modality(self, field):
        if self.kind == SessionKind.DOSING and field.data != Modality.IN_PERSON.value:
            raise ValidationError("Dosing sessions are always in person. Please keep "
                                  "“In person” and the practice's address.")

    def validate_location(self, field):
        if self.modality.data == Modality.IN_PERSON.value and not (field.data or "").strip():
            raise ValidationError("Please enter the address for in-person sessions.")

    def validate_duration_min(self, field):
        total = sum(f.data or 0 for f in (field, self.buffer_before_min, self.buffer_after_min))
        if field.data and total > MAX_BLOCK_MIN:
            raise ValidationError("The session and its free time before and after must add up "
                                  "to 12 hours or less.")

    def load(self, session_type):
        """Fill from a session type (GET)."""
        for name in ("duration_min", "buffer_before_min", "buffer_after_min", "horizon_days",
                     "slot_step_min", "modality", "location", "active"):
            getattr(self, name).data = getattr(session_type, name)
        self.min_notice_hours.data = session_type.min_notice_min // 60

    def save(self, session_type):
        for name in ("duration_min", "buffer_before_min", "buffer_after_min", "horizon_days",
                     "slot_step_min", "modality", "active"):
            setattr(session_type, name, getattr(self, name).data)
        session_type.min_notice_min = self.min_notice_hours.data * 60
        session_type.location = (self.location.data or "").strip() or None


class BookForClientForm(FlaskForm):
    """The therapist books a time for their client: the slot, a key that makes a repeated submit
    return the same booking, and the reason when a gate of the arc would refuse the client."""

    start = HiddenField(validators=[DataRequired("Please choose a time.")])
    idempotency_key = HiddenField(validators=[DataRequired(), Length(max=64)])
    override_reason = TextAreaField(
        "Your reason for booking it anyway", render_kw={"rows": 3},
        description=f"Required because the client could not book this session themselves. Kept "
                    f"with the booking for the care team and audited. Up to {OVERRIDE_MAX} "
                    f"characters.",
        validators=[Length(max=OVERRIDE_MAX, message=f"Please keep the reason under "
                                                     f"{OVERRIDE_MAX} characters.")])
