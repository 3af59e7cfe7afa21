"""The intake review's decision: eligible, needs medical clearance or not eligible, the texts
that go with each, the note for the client, and the confirmation that names the open flags when
"eligible" is recorded while urgent, exclusion or clearance flags are open."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError

from portal.core.vocabulary import DECISION_LABELS, Decision
from portal.workspace.forms import NOTE_LIMIT, _strip


def _note(label, help=None, limit=NOTE_LIMIT):
    """A free-text field capped at `limit`, the limit stated in its help text."""
    stated = f"Up to {limit:,} characters."
    return TextAreaField(label, description=f"{help} {stated}" if help else stated,
                         filters=[_strip], render_kw={"rows": 3}, validators=[Length(
                             max=limit, message=f"Please shorten this to {limit:,} characters "
                                                f"or fewer.")])


class DecisionForm(FlaskForm):
    """Eligible, needs medical clearance (with what) or not eligible (why, and a referral), with a
    note for the client. "Eligible" while urgent, exclusion or clearance flags are open needs
    each acknowledged first, or the confirmation below naming them, with a reason: the view sets
    `open_flags` ([(SafetyFlag, title)]) with name_open_flags before validating."""

    decision = RadioField("Decision", choices=[SelectChoice(d.value, DECISION_LABELS[d])
                                               for d in Decision],
                          validators=[InputRequired("Please choose a decision.")],
                          validate_choice=True)
    clearance_needed = _note("Medical clearance needed (for the care team)",
                            help="Required for “Needs medical clearance”: what is needed, for "
                                 "example a note from the client's cardiologist. The client does "
                                 "not see this text: tell them in the note for the client.")
    reason = _note("Reason", help="Required for “Not eligible”. For the care team; the client "
                                 "does not see it.")
    referral = _note("Referral", help="Required for “Not eligible”: where the client can turn "
                                     "instead. For the care team; the client does not see it.")
    client_note = _note("Note for the client", help="Optional. The client reads it on their "
                                                    "home page with the decision, for example "
                                                    "what to ask their doctor for. Write no "
                                                    "more than they should read.")
    private_note = _note("Private note", help="Optional. Only therapists see it; never the client.")
    confirm_flags = BooleanField("I record “Eligible” with these flags open")
    confirm_reason = _note("Why “Eligible” with these flags open",
                           help="Required with the confirmation. For the care team.")
    flags_listed = HiddenField()  # the ids of the open flags the page named, comma-separated

    open_flags = ()

    def name_open_flags(self, open_flags):
        """Name the open flags (they stand in the way of "eligible") in the confirmation's label."""
        self.open_flags = open_flags
        if open_flags:
            names = "; ".join(title for _, title in open_flags)
            which = "this flag" if len(open_flags) == 1 else "these flags"
            self.confirm_flags.label.text = f"I record “Eligible” with {which} open: {names}"
        return self

    def list_open_flags(self):
        """Before showing the form: the flags the page names are the ones a confirmation covers."""
        self.flags_listed.data = ",".join(str(flag.id) for flag, _ in self.open_flags)
        return self

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

    @property
    def confirming(self):
        """An "eligible" decision with flags open: the confirmation applies."""
        return self.decision.data == Decision.ELIGIBLE.value and bool(self.open_flags)

    def validate_confirm_flags(self, field):
        if not self.confirming:
            return
        listed = set((self.flags_listed.data or "").split(","))
        if not field.data:
            raise ValidationError("These flags are still open. Acknowledge each with a note "
                                  "under Flags, or tick this box to confirm “Eligible” with "
                                  "them open, and give your reason.")
        if any(str(flag.id) not in listed for flag, _ in self.open_flags):
            raise ValidationError("A new flag was raised since this page was loaded. Please read "
                                  "it, then confirm again.")

    def validate_confirm_reason(self, field):
        if self.confirming and self.confirm_flags.data and not field.data:
            raise ValidationError("Please give your reason for “Eligible” with these flags open.")

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
            "client_note": self.client_note.data or None,
            "private_note": self.private_note.data or None,
            "flags_confirmed": [{"id": flag.id, "title": title} for flag, title in self.open_flags]
            if self.confirming else None,
            "confirm_reason": self.confirm_reason.data if self.confirming else None,
        }
