"""The therapist's form for a client's measure schedule."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField
from wtforms.validators import Optional

from portal.core.bounds import NumberBetween
from portal.core.vocabulary import SCHEDULABLE_MEASURES

MAX_EVERY_DAYS = 90


class MeasureScheduleForm(FlaskForm):
    """Which questionnaires, and when; everything empty turns the schedule off."""

    m_phq9 = BooleanField(SCHEDULABLE_MEASURES["phq9"])
    m_gad7 = BooleanField(SCHEDULABLE_MEASURES["gad7"])
    m_pcl5 = BooleanField(SCHEDULABLE_MEASURES["pcl5"])
    m_cssrs = BooleanField(SCHEDULABLE_MEASURES["cssrs"])
    every_days = IntegerField(
        "Every how many days", description=f"Optional: 1 to {MAX_EVERY_DAYS}.",
        validators=[Optional(), NumberBetween(1, MAX_EVERY_DAYS, f"Please give a whole number "
                                                                 f"from 1 to {MAX_EVERY_DAYS}.")])
    before_sessions = BooleanField("Before each preparation or integration session")
    after_dosing = BooleanField("The morning after each dosing session")

    @property
    def instruments(self):
        return [key for key in SCHEDULABLE_MEASURES if self[f"m_{key}"].data]

    @property
    def timed(self):
        return bool(self.every_days.data or self.before_sessions.data or self.after_dosing.data)

    def validate(self, extra_validators=None):
        if not super().validate(extra_validators):
            return False
        if self.instruments and not self.timed:
            self.every_days.errors.append("Please choose when: every so many days, before "
                                          "sessions, or after dosing.")
            return False
        if self.timed and not self.instruments:
            self.m_phq9.errors.append("Please choose at least one questionnaire.")
            return False
        return True

    def fill(self, schedule):
        """Show a saved schedule."""
        if schedule is None:
            return self
        for key in schedule.instruments:
            self[f"m_{key}"].data = True
        self.every_days.data = schedule.every_days
        self.before_sessions.data = schedule.before_sessions
        self.after_dosing.data = schedule.after_dosing
        return self
