"""The short form the day after a dosing session, with PHQ-9 item 9 in its standard wording."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, StringField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from portal.core.measures import PHQ9_ITEMS, RESPONSE_CHOICES, STEM

SLEEP_CHOICES = [SelectChoice("well", "Well"), SelectChoice("fair", "Fairly well"),
                 SelectChoice("poor", "Poorly"), SelectChoice("none", "I hardly slept")]
MOOD_CHOICES = [SelectChoice(n, str(n)) for n in range(1, 11)]
TEXT_LIMIT = 2000
SIDE_EFFECTS = ("nausea", "headache", "dissociation", "other")


class PostDosingForm(FlaskForm):
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
        validators=[Optional(), Length(max=TEXT_LIMIT, message=f"Please keep this under "
                                       f"{TEXT_LIMIT} characters.")])
    phq9_9 = RadioField(f"{STEM} {PHQ9_ITEMS[8]}", coerce=int, choices=RESPONSE_CHOICES,
                        validators=[InputRequired("Please choose one answer.")])

    def answers(self):
        """The answers as stored (encrypted) in PostDosingCheckin.answers."""
        return {"sleep": self.sleep.data, "mood": self.mood.data,
                **{name: bool(self[name].data) for name in SIDE_EFFECTS},
                "other_text": (self.other_text.data or "").strip(),
                "worry_text": (self.worry_text.data or "").strip(),
                "phq9_9": self.phq9_9.data}
