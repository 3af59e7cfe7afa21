"""The workspace's forms: inviting a client, their care status, acknowledging a safety flag,
publishing a consent document, and session notes (one template of fields per session kind, and
the addendum). The intake review's decision form is in forms_review.py."""
from flask_wtf import FlaskForm
from wtforms import EmailField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length

from portal.core.vocabulary import (
    CONSENT_TITLES,
    CareStatus,
    ConsentKind,
    SessionKind,
)

REASON_MIN, REASON_MAX = 3, 500  # care status change
NOTE_LIMIT = 2000  # review decision texts and flag acknowledgements
BODY_LIMIT = 20_000  # a consent document
TITLE_LIMIT = 200
TEXT_LIMIT = 5000  # a session note's text fields and an addendum
SHORT_LIMIT = 40  # a session note's short fields (blood pressure, times)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


# --- clients --------------------------------------------------------------------------------
class InviteForm(FlaskForm):
    email = EmailField("Client's email address", description=(
        "We send them a link to create their account. The email says only that you invited "
        "them to the portal."), validators=[
        DataRequired("Please enter the client's email address."),
        Email("Please enter an email address like name@example.com.", check_deliverability=False),
        Length(max=254)], filters=[lambda v: v.strip().lower() if isinstance(v, str) else v])


CARE_LABELS = {
    CareStatus.ACTIVE: "Active: the client can book sessions",
    CareStatus.PAUSED: "Paused: no new bookings until you resume their care",
    CareStatus.DISCHARGED: "Discharged: their care with the practice has ended",
}


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


# --- intake review and consents -----------------------------------------------------------
class AcknowledgeForm(FlaskForm):
    """Acknowledge one safety flag; built with prefix=f"flag{id}" so each flag's form is distinct."""

    note = TextAreaField("Acknowledgement note", filters=[_strip],
                         description=f"Required: what you did or will do. Up to "
                                     f"{NOTE_LIMIT:,} characters.",
                         validators=[DataRequired("Please write a note: what you did or will do."),
                                     Length(max=NOTE_LIMIT, message=f"Please shorten this to "
                                                                    f"{NOTE_LIMIT:,} characters "
                                                                    f"or fewer.")])


class PublishConsentForm(FlaskForm):
    """A new version of one consent document; clients who signed before are asked to re-sign."""

    kind = SelectField("Document", choices=[SelectChoice(k.value, CONSENT_TITLES[k])
                                            for k in ConsentKind], validate_choice=True,
                       validators=[InputRequired("Please choose a document.")])
    title = StringField("Title", filters=[_strip],
                        description=f"Leave empty to keep the current title. Up to "
                                    f"{TITLE_LIMIT} characters.",
                        validators=[Length(max=TITLE_LIMIT, message=f"Please use at most "
                                                                    f"{TITLE_LIMIT} characters.")])
    body = TextAreaField("Text of the new version", filters=[_strip], render_kw={"rows": 16},
                         description=f"The full text clients read and sign. Up to "
                                     f"{BODY_LIMIT:,} characters.",
                         validators=[DataRequired("Please enter the text of the document."),
                                     Length(max=BODY_LIMIT, message=f"Please shorten this to "
                                                                    f"{BODY_LIMIT:,} characters "
                                                                    f"or fewer.")])


# --- session notes --------------------------------------------------------------------------
def _text(label, help=None):
    stated = f"Up to {TEXT_LIMIT:,} characters."
    return TextAreaField(label, description=f"{help} {stated}" if help else stated,
                         filters=[_strip], render_kw={"rows": 4},
                         validators=[Length(max=TEXT_LIMIT, message=f"Please shorten this to "
                                                                    f"{TEXT_LIMIT:,} characters.")])


def _short(label, help=None):
    return StringField(label, description=help, filters=[_strip], validators=[Length(
        max=SHORT_LIMIT, message=f"Please shorten this to {SHORT_LIMIT} characters.")])


# kind -> [(key, field factory)], in the order the note shows them
TEMPLATES = {
    SessionKind.CONSULTATION: [
        ("presenting_concerns", lambda: _text("Presenting concerns")),
        ("suitability", lambda: _text("First impressions of suitability")),
        ("next_steps", lambda: _text("Next steps")),
    ],
    SessionKind.PREPARATION: [
        ("intentions", lambda: _text("Intentions")),
        ("set_and_setting", lambda: _text("Set and setting")),
        ("concerns", lambda: _text("Concerns")),
    ],
    SessionKind.DOSING: [
        ("dose_route", lambda: _text("Dose and route", "As recorded by the prescriber.")),
        ("bp_before", lambda: _short("Blood pressure before", "For example 120/80.")),
        ("pulse_before", lambda: _short("Pulse before", "Beats per minute.")),
        ("bp_after", lambda: _short("Blood pressure after", "For example 125/82.")),
        ("pulse_after", lambda: _short("Pulse after", "Beats per minute.")),
        ("observations", lambda: _text("Observations")),
        ("discharge_time", lambda: _short("Discharge time", "For example 3:40 PM.")),
        ("escort", lambda: _short("Escort", "Who took the client home.")),
    ],
    SessionKind.INTEGRATION: [
        ("insights", lambda: _text("Insights")),
        ("emotions", lambda: _text("Emotions")),
        ("action_steps", lambda: _text("Action steps")),
    ],
}


def note_form_class(kind):
    """A FlaskForm with the fields of the template for `kind`."""
    fields = {key: make() for key, make in TEMPLATES[SessionKind(kind)]}
    return type(f"{SessionKind(kind).value.capitalize()}NoteForm", (FlaskForm,), fields)


def labels(kind):
    form = note_form_class(kind)(formdata=None, meta={"csrf": False})
    return [(key, form[key].label.text) for key, _ in TEMPLATES[SessionKind(kind)]]


def content_of(form, kind):
    return {key: form[key].data or "" for key, _ in TEMPLATES[SessionKind(kind)]}


class AddendumForm(FlaskForm):
    text = TextAreaField("Addendum", filters=[_strip], render_kw={"rows": 4},
                         description=f"Dated and signed with your name; the note itself stays "
                                     f"as signed. Up to {TEXT_LIMIT:,} characters.",
                         validators=[DataRequired("Please write the addendum."),
                                     Length(max=TEXT_LIMIT, message=f"Please shorten this to "
                                                                    f"{TEXT_LIMIT:,} characters.")])
