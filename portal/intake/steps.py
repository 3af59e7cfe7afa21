"""The order of the intake's steps and the form behind each (the consents form is built from the
current consent documents)."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, Length

from portal.intake import forms
from portal.models.consent import ConsentDocument
from portal.models.intake import STEPS

STEP_TITLES = {
    "about": "About you", "history": "Mental-health history", "medical": "Medical screening",
    "psychiatric": "Psychiatric screening", "medications": "Current medications",
    "measures": "How you have been feeling", "goals": "Goals and intentions",
    "consents": "Consents",
}


class StepMixin:
    @classmethod
    def field_prefixes(cls):
        return {name for name in dir(cls) if isinstance(getattr(cls, name, None), UnboundField)}

    @classmethod
    def build(cls, intake, formdata=None, prefill=False):
        form = cls(formdata=formdata) if formdata is not None else cls(formdata=None)
        if prefill:
            cls.prefill(form, intake)
        return form

    @staticmethod
    def prefill(form, intake):
        """Defaults for a step never saved (the about step starts from the account)."""


def _step(form_class, prefill=None):
    attrs = {}
    if prefill:
        attrs["prefill"] = staticmethod(prefill)
    return type(form_class.__name__, (StepMixin, form_class), attrs)


def _prefill_about(form, intake):
    form.legal_name.data = intake.client.name
    form.timezone.data = intake.client.timezone


def same_name(typed, legal):
    """Does a typed signature match the legal name? Case and extra spaces do not matter."""
    def plain(text):
        return " ".join((text or "").split()).casefold()
    return bool(plain(typed)) and plain(typed) == plain(legal)


def legal_name_in(intake, fallback=""):
    """The legal name the client gave in the intake's first step, else `fallback` (the name
    on their account)."""
    given = intake.answers("about").get("legal_name") if intake is not None else None
    return (given or "").strip() or fallback


class ConsentsForm(StepMixin, FlaskForm):
    """One signature per current consent document: typed full name and "I agree". The typed
    name must match the client's legal name (ignoring case and extra spaces)."""

    title = "Consents"
    documents = ()
    legal_name = ""

    @classmethod
    def field_prefixes(cls):
        return {f"{p}_{doc.kind}" for doc in ConsentDocument.current() for p in ("name", "agree")}

    @classmethod
    def build(cls, intake, formdata=None, prefill=False, documents=None, legal_name=None):
        documents = ConsentDocument.current() if documents is None else documents
        if legal_name is None:
            legal_name = legal_name_in(intake, intake.client.name if intake else "")
        attrs = {"documents": documents, "legal_name": legal_name}
        for doc in documents:
            attrs[f"name_{doc.kind}"] = StringField(
                f"Type your full name to sign “{doc.title}”", validators=[
                    DataRequired("Please type your full name to sign."),
                    Length(max=120, message="Please use at most 120 characters.")])
            attrs[f"agree_{doc.kind}"] = BooleanField(
                f"I have read and agree to “{doc.title}” (version {doc.version})",
                validators=[DataRequired("Please tick the box to agree, or contact the "
                                         "practice with questions first.")])
        bound = type("ConsentsForm", (cls,), attrs)
        return bound(formdata=formdata) if formdata is not None else bound(formdata=None)

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        for _, name in self.signatures():
            if name.data and name.data.strip() and not same_name(name.data, self.legal_name):
                name.errors = [*name.errors, f"Please type your legal name exactly as you gave "
                               f"it: {self.legal_name}. Capital letters and extra spaces do "
                               "not matter."]
                valid = False
        return valid

    def signatures(self):
        return [(doc, self[f"name_{doc.kind}"]) for doc in self.documents]

    def pairs(self):
        return [(doc, self[f"name_{doc.kind}"], self[f"agree_{doc.kind}"])
                for doc in self.documents]


STEP_FORMS = {
    "about": _step(forms.AboutForm, _prefill_about),
    "history": _step(forms.HistoryForm),
    "medical": _step(forms.MedicalForm),
    "psychiatric": _step(forms.PsychiatricForm),
    "medications": _step(forms.MedicationsForm),
    "measures": _step(forms.MeasuresForm),
    "goals": _step(forms.GoalsForm),
    "consents": ConsentsForm,
}
assert list(STEP_FORMS) == STEPS


def next_step(step):
    index = STEPS.index(step)
    return STEPS[index + 1] if index + 1 < len(STEPS) else None


def previous_step(step):
    index = STEPS.index(step)
    return STEPS[index - 1] if index > 0 else None
