"""The dosing record's forms, one per section of the page: a vitals reading, the monitor, the
override of the blood-pressure gate, the dose, observations, the discharge checklist, and an
addendum. Each gives the document its section stores (`values`); clock times are HH:MM on the
dosing day in the therapist's zone (the view turns them into instants)."""
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.core.bounds import NumberBetween
from portal.core.vocabulary import (
    CHECK_LABELS,
    DOSE_ROUTES,
    NEXT_INTEGRATION,
    SIDE_EFFECT_LABELS,
    DosingCheck,
)

NAME_LIMIT = 120
SHORT_LIMIT = 60
TEXT_LIMIT = 5000
REASON_MIN = 10


class ClockField(TimeField):
    """A wall-clock time (HH:MM) with a message a person understands when it is not one."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError("Please enter the time as hours and minutes, such as 10:40.") from exc


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _number(label, low, high, unit, required=True):
    words = f"Please enter a number from {low} to {high}."
    return IntegerField(label, description=f"{unit}, {low} to {high}.", render_kw={
        "inputmode": "numeric", "min": low, "max": high},
        validators=[InputRequired(words) if required else Optional(),
                    NumberBetween(low, high, words)])


def _name(label, help_text):
    return StringField(label, filters=[_strip], description=help_text,
                       render_kw={"autocomplete": "off"},
                       validators=[Length(max=NAME_LIMIT, message=f"Please keep this under "
                                                                  f"{NAME_LIMIT} characters.")])


class VitalsForm(FlaskForm):
    check = SelectField("Which check", choices=[SelectChoice(c.value, CHECK_LABELS[c])
                                                for c in DosingCheck], validate_choice=True,
                        validators=[InputRequired("Please choose which check this is.")])
    taken_at = ClockField("Time taken", description="On the dosing day, your time zone.",
                         validators=[InputRequired("Please enter the time, such as 10:40.")])
    systolic = _number("Systolic blood pressure (upper number)", 60, 260, "mmHg")
    diastolic = _number("Diastolic blood pressure (lower number)", 30, 160, "mmHg")
    heart_rate = _number("Heart rate", 30, 220, "Beats per minute")
    spo2 = _number("Oxygen saturation (SpO₂)", 50, 100, "Percent")

    def validate_diastolic(self, field):
        if field.data is not None and self.systolic.data is not None \
                and field.data >= self.systolic.data:
            raise ValidationError("The lower number must be less than the upper number.")

    def values(self, taken_at):
        return {"check": self.check.data, "taken_at": taken_at.isoformat(),
                "systolic": self.systolic.data, "diastolic": self.diastolic.data,
                "heart_rate": self.heart_rate.data, "spo2": self.spo2.data}


class MonitorForm(FlaskForm):
    monitor_name = _name("Monitor or chaperone", "The person who stays with the client "
                                                 "throughout the session.")

    def validate_monitor_name(self, field):
        if not field.data:
            raise ValidationError("Please write the monitor's or chaperone's name.")


class OverrideForm(FlaskForm):
    reason = TextAreaField("Clinical reason for dosing above the limit", filters=[_strip],
                           render_kw={"rows": 3}, description=(
                               f"For example: repeat reading after rest, prescriber consulted. "
                               f"{REASON_MIN} to 2,000 characters."),
                           validators=[DataRequired("Please write the clinical reason."),
                                       Length(min=REASON_MIN, max=2000, message=(
                                           f"Please write between {REASON_MIN} and 2,000 "
                                           "characters."))])


class DoseForm(FlaskForm):
    medication = StringField("Medication", default="Ketamine", filters=[_strip], validators=[
        DataRequired("Please name the medication."),
        Length(max=SHORT_LIMIT, message=f"Please keep this under {SHORT_LIMIT} characters.")])
    amount = StringField("Dose", filters=[_strip], description="With its unit, such as 56 mg.",
                         validators=[DataRequired("Please write the dose, such as 56 mg."),
                                     Length(max=SHORT_LIMIT, message=f"Please keep this under "
                                                                     f"{SHORT_LIMIT} characters.")])
    route = SelectField("Route", choices=[SelectChoice("", "Choose a route")] + [
        SelectChoice(key, label) for key, label in DOSE_ROUTES.items()],
        validators=[DataRequired("Please choose the route.")])
    given_at = ClockField("Time given", description="Your time zone. The 40-minute check is timed "
                                                   "from here.",
                         validators=[InputRequired("Please enter the time, such as 10:00.")])
    prescriber = _name("Prescriber", "The prescriber's name, as on the order.")

    def validate_route(self, field):
        if field.data not in DOSE_ROUTES:
            raise ValidationError("Please choose the route.")

    def validate_prescriber(self, field):
        if not field.data:
            raise ValidationError("Please write the prescriber's name.")

    def values(self, given_at):
        return {"medication": self.medication.data, "amount": self.amount.data,
                "route": self.route.data, "given_at": given_at.isoformat(),
                "prescriber": self.prescriber.data}


class ObservationsForm(FlaskForm):
    side_effects = SelectMultipleField(
        "Side effects seen", choices=[SelectChoice(key, label)
                              for key, label in SIDE_EFFECT_LABELS.items()],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
        validate_choice=True)
    other = StringField("Other side effect", filters=[_strip], validators=[
        Length(max=200, message="Please keep this under 200 characters.")])
    intensity = SelectField("Dissociation or intensity, 0 to 10", coerce=str, choices=[
        SelectChoice("", "Not rated")] + [SelectChoice(str(n), str(n)) for n in range(11)],
        description="0: none, 10: the most intense.", validate_choice=True)

    def validate_other(self, field):
        if "other" in (self.side_effects.data or []) and not field.data:
            raise ValidationError("Please describe the other side effect.")

    def values(self):
        return {"side_effects": list(self.side_effects.data or []), "other": self.other.data or "",
                "intensity": int(self.intensity.data) if self.intensity.data else None}


class DischargeForm(FlaskForm):
    alert_oriented = BooleanField("Alert and oriented")
    vitals_in_range = BooleanField("Vital signs back within range")
    ride_confirmed = BooleanField("Ride home confirmed")
    driver_name = _name("Driver's name", "Who is taking the client home. The client must not "
                                         "drive until the next day.")
    next_integration = RadioField("Next integration session", choices=[
        SelectChoice(key, label) for key, label in NEXT_INTEGRATION.items()],
        validators=[Optional()], validate_choice=True)

    def validate_driver_name(self, field):
        if self.ride_confirmed.data and not field.data:
            raise ValidationError("Please write the driver's name.")

    def values(self):
        return {"alert_oriented": self.alert_oriented.data,
                "vitals_in_range": self.vitals_in_range.data,
                "ride_confirmed": self.ride_confirmed.data,
                "driver_name": self.driver_name.data or "",
                "next_integration": self.next_integration.data or ""}


class AddendumForm(FlaskForm):
    text = TextAreaField("Addendum", filters=[_strip], render_kw={"rows": 4},
                         description=f"Dated and signed with your name; the record itself stays "
                                     f"as signed. Up to {TEXT_LIMIT:,} characters.",
                         validators=[DataRequired("Please write the addendum."),
                                     Length(max=TEXT_LIMIT, message=f"Please shorten this to "
                                                                    f"{TEXT_LIMIT:,} characters.")])
