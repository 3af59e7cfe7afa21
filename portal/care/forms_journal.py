"""The integration journal's form: a dated entry, free text, an optional mood from 1 to 10."""
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

TEXT_LIMIT = 10_000
MOODS = [SelectChoice("", "No rating")] + [
    SelectChoice(str(n), f"{n}{' (lowest)' if n == 1 else ' (best)' if n == 10 else ''}")
    for n in range(1, 11)]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class JournalForm(FlaskForm):
    written_on = DateField("Date", validators=[InputRequired("Please give the date.")])
    text = TextAreaField("What is on your mind?", filters=[_strip], render_kw={"rows": 8},
                         description=f"Private unless you choose to share it with your "
                                     f"therapist. Up to {TEXT_LIMIT:,} characters.",
                         validators=[DataRequired("Please write something."),
                                     Length(max=TEXT_LIMIT, message=f"Please shorten this to "
                                                                    f"{TEXT_LIMIT:,} characters.")])
    mood = SelectField("Mood today, from 1 to 10", choices=MOODS, validate_choice=True,
                       description="Optional.")

    @property
    def mood_value(self):
        return int(self.mood.data) if self.mood.data else None
