"""The client's safety check before entering a call: where they are and how to reach them."""
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TelField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from portal.core.emergency import country_choices, country_from_text
from portal.intake.forms import valid_phone

SOMEWHERE_ELSE = "other"


class LocationForm(FlaskForm):
    location = StringField("Where are you for this session?", description=(
        "A street address, or at least the city and state. If there is an emergency, this is "
        "where help would be sent."), validators=[
        DataRequired("Please tell us where you are for this session."),
        Length(max=200, message="Please use at most 200 characters.")])
    phone = TelField("A phone number where we can reach you now", validators=[
        DataRequired("Please enter a phone number."), Length(max=25), valid_phone],
        render_kw={"autocomplete": "tel"})
    country = SelectField("Country", description=(
        "So that your therapist has the right emergency number for where you are."),
        choices=[SelectChoice(code, name) for code, name in (
            ("", "Choose a country"), *country_choices(), (SOMEWHERE_ELSE, "Somewhere else"))],
        default="", validators=[Optional()], validate_choice=True)

    def country_code(self):
        """The chosen country's code, None for "somewhere else", or a guess from the typed
        location when the field was left empty (or the page did not show it)."""
        chosen = self.country.data or ""
        if chosen == SOMEWHERE_ELSE:
            return None
        return chosen or country_from_text(self.location.data)
