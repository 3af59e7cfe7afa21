"""The client's care forms: the PHQ-9/GAD-7 check-in (the intake's measures step), the
integration journal's entry, and the short check-in the day after a dosing session."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal.core.measures import PHQ9_ITEMS, RESPONSE_CHOICES, STEM
from portal.intake.forms import MeasuresForm

JOURNAL_TEXT_LIMIT = 10_000
JOURNAL_MOODS = [SelectChoice("", "No rating")] + [
    SelectChoice(str(n), f"{n}{' (lowest)' if n == 1 else ' (best)' if n == 10 else ''}")
    for n in range(1, 11)]
SLEEP_CHOICES = [SelectChoice("well", "Well"), SelectChoice("fair", "Fairly well"),
                 SelectChoice("poor", "Poorly"), SelectChoice("none", "I hardly slept")]
MOOD_CHOICES = [SelectChoice(n, str(n)) for n in range(1, 11)]
WORRY_TEXT_LIMIT = 2000
SIDE_EFFECTS = ("nausea", "headache", "dissociation", "other")


class CheckinForm(MeasuresForm):
    """The repeat PHQ-9 and GAD-7, with the same items and answers as the intake's step."""


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class JournalForm(FlaskForm):
    """A dated entry, free text, an optional mood from 1 to 10."""

    written_on = DateField("Date", validators=[InputRequired("Please give the date.")])
    text = TextAreaField("What is on your mind?", filters=[_strip], render_kw={"rows": 8},
                         description=f"Private unless you choose to share it with your "
                                     f"therapist. Up to {JOURNAL_TEXT_LIMIT:,} characters.",
                         validators=[DataRequired("Please write something."),
                                     Length(max=JOURNAL_TEXT_LIMIT,
                                            message=f"Please shorten this to "
                                                    f"{JOURNAL_TEXT_LIMIT:,} characters.")])
    mood = SelectField("Mood today, from 1 to 10", choices=JOURNAL_MOODS, validate_choice=True,
                       description="Optional.")

    @property
    def mood_value(self):
        return int(self.mood.data) if self.mood.data else None


class PostDosingForm(FlaskForm):
    """The day after a dosing session, with PHQ-9 item 9 in its standard wording."""

    sleep = RadioField("How did you sleep last night?", choices=SLEEP_CHOICES,
                       validators=[InputRequired("Please choose how you slept.")])
    mood = RadioField("How is your mood today?", coerce=int, choices=MOOD_CHOICES,
                      description="1 is very low, 10 is very good.",
                      validators=[InputRequired("Please choose a number from 1 to 10.")])
    nausea = BooleanField("Nausea or an upset stomach")
    headache = BooleanField("Headache")
    dissociation = BooleanField("Still feeling detached, unreal or “not quite here” "
                                "(lingering dissociation)")
    other = BooleanField("Something else")
    other_text = StringField("What else did you notice? (optional)",
                             validators=[Optional(), Length(max=200, message="Please keep this "
                                                            "under 200 characters.")])
    worry_text = TextAreaField(
        "Is anything worrying you? (optional)",
        description="Anything at all: how you feel, something that happened, a question.",
        validators=[Optional(), Length(max=WORRY_TEXT_LIMIT, message=f"Please keep this under "
                                       f"{WORRY_TEXT_LIMIT} characters.")])
    phq9_9 = RadioField(f"{STEM} {PHQ9_ITEMS[8]}", coerce=int, choices=RESPONSE_CHOICES,
                        validators=[InputRequired("Please choose one answer.")])

    def answers(self):
        """The answers as stored (encrypted) in PostDosingCheckin.answers."""
        return {"sleep": self.sleep.data, "mood": self.mood.data,
                **{name: bool(self[name].data) for name in SIDE_EFFECTS},
                "other_text": (self.other_text.data or "").strip(),
                "worry_text": (self.worry_text.data or "").strip(),
                "phq9_9": self.phq9_9.data}
