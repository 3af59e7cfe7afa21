"""Session note forms: one template of fields per session kind, and the addendum form."""
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from portal.core.vocabulary import SessionKind

TEXT_LIMIT = 5000
SHORT_LIMIT = 40


def _strip(value):
    return value.strip() if isinstance(value, str) else value


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
