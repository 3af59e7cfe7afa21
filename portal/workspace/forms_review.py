"""Forms of the therapist's intake review: the decision, flag acknowledgement, consent publishing."""
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from portal.core.vocabulary import CONSENT_TITLES, DECISION_LABELS, ConsentKind, Decision

NOTE_LIMIT = 2000
BODY_LIMIT = 20_000
TITLE_LIMIT = 200


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def note(label, help=None, limit=NOTE_LIMIT):
    """A free-text field capped at `limit`, the limit stated in its help text."""
    stated = f"Up to {limit:,} characters."
    return TextAreaField(label, description=f"{help} {stated}" if help else stated,
                         filters=[_strip], render_kw={"rows": 3}, validators=[Length(
                             max=limit, message=f"Please shorten this to {limit:,} characters "
                                                f"or fewer.")])


class DecisionForm(FlaskForm):
    """Eligible, needs medical clearance (with what) or not eligible (why, and a referral)."""

    decision = RadioField("Decision", choices=[SelectChoice(d.value, DECISION_LABELS[d])
                                               for d in Decision],
                          validators=[InputRequired("Please choose a decision.")],
                          validate_choice=True)
    clearance_needed = note("Clearance needed: with what",
                            help="Required for “Needs medical clearance”: what the client "
                                 "needs, for example a note from their cardiologist.")
    reason = note("Reason", help="Required for “Not eligible”. The client sees the decision "
                                 "status, not this text.")
    referral = note("Referral", help="Required for “Not eligible”: where the client can turn "
                                     "instead.")
    private_note = note("Private note", help="Optional. Only therapists see it; never the client.")

    def _required_for(self, field, decision, message):
        if self.decision.data == decision and not field.data:
            raise ValidationError(message)

    def validate_clearance_needed(self, field):
        self._required_for(field, Decision.NEEDS_CLEARANCE.value,
                           "Please say what medical clearance is needed.")

    def validate_reason(self, field):
        self._required_for(field, Decision.NOT_ELIGIBLE.value,
                           "Please give the reason the client is not eligible.")

    def validate_referral(self, field):
        self._required_for(field, Decision.NOT_ELIGIBLE.value,
                           "Please add a referral: where the client can turn instead.")

    def values(self):
        """The ReviewDecision columns: only the texts that belong to the chosen decision."""
        decision = self.decision.data
        return {
            "decision": decision,
            "clearance_needed": (self.clearance_needed.data or None)
            if decision == Decision.NEEDS_CLEARANCE.value else None,
            "reason": (self.reason.data or None) if decision == Decision.NOT_ELIGIBLE.value
            else None,
            "referral": (self.referral.data or None) if decision == Decision.NOT_ELIGIBLE.value
            else None,
            "private_note": self.private_note.data or None,
        }


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
