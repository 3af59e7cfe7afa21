"""The therapist's form to pause, discharge or resume a client's care (with a reason)."""
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from portal.core.vocabulary import CareStatus

REASON_MIN, REASON_MAX = 3, 500
CARE_LABELS = {
    CareStatus.ACTIVE: "Active: the client can book sessions",
    CareStatus.PAUSED: "Paused: no new bookings until you resume their care",
    CareStatus.DISCHARGED: "Discharged: their care with the practice has ended",
}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class CareStatusForm(FlaskForm):
    """Set a client's care status; the reason is kept encrypted and never shown to the client."""

    status = RadioField("Care status", choices=[SelectChoice(s.value, CARE_LABELS[s])
                                                for s in CareStatus],
                        validators=[InputRequired("Please choose a care status.")],
                        validate_choice=True)
    reason = TextAreaField(
        "Reason", filters=[_strip], render_kw={"rows": 3, "maxlength": REASON_MAX},
        description=f"For the care team only; the client does not see it. "
                    f"{REASON_MIN} to {REASON_MAX} characters.",
        validators=[DataRequired("Please write a short reason."),
                    Length(min=REASON_MIN, max=REASON_MAX,
                           message=f"Please write between {REASON_MIN} and {REASON_MAX} "
                                   f"characters.")])
