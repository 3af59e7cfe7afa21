"""The client's safety check before entering a call: where they are and how to reach them."""
from flask_wtf import FlaskForm
from wtforms import StringField, TelField
from wtforms.validators import DataRequired, Length

from portal.intake.forms import valid_phone


class LocationForm(FlaskForm):
    location = StringField("Where are you for this session?", description=(
        "A street address, or at least the city and state. If there is an emergency, this is "
        "where help would be sent."), validators=[
        DataRequired("Please tell us where you are for this session."),
        Length(max=200, message="Please use at most 200 characters.")])
    phone = TelField("A phone number where we can reach you now", validators=[
        DataRequired("Please enter a phone number."), Length(max=25), valid_phone],
        render_kw={"autocomplete": "tel"})
