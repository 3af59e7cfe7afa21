"""Therapist forms."""
from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import DataRequired, Email, Length


class InviteForm(FlaskForm):
    email = EmailField("Client's email address", description=(
        "We send them a link to create their account. The email says only that you invited "
        "them to the portal."), validators=[
        DataRequired("Please enter the client's email address."),
        Email("Please enter an email address like name@example.com.", check_deliverability=False),
        Length(max=254)], filters=[lambda v: v.strip().lower() if isinstance(v, str) else v])
