"""The intake's steps as WTForms, one topic per step, every field validated with a plain message.

Field names here are the keys of the stored answers (portal/intake/rules.py reads them).
Free text is capped (TEXT_LIMIT, LONG_TEXT_LIMIT) and the limit is stated in the help text.
"""
import re
from datetime import date

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.fields import SelectChoice
from wtforms.form import Form
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from portal.core.bounds import NumberBetween
from portal.core.measures import GAD7_ITEMS, PHQ9_DIFFICULTY, PHQ9_ITEMS, RESPONSE_CHOICES
from portal.core.zones import timezone_choices

SHORT_LIMIT = 120
TEXT_LIMIT = 2000
LONG_TEXT_LIMIT = 5000
YES_NO = [SelectChoice("no", "No"), SelectChoice("yes", "Yes")]
YES_NO_UNSURE = [*YES_NO, SelectChoice("unsure", "Not sure")]
HISTORY = [SelectChoice("never", "Never"), SelectChoice("past", "In the past, not now"),
           SelectChoice("current", "Yes, currently or in the last year")]
RECENCY = [SelectChoice("never", "Never"), SelectChoice("over_year", "More than a year ago"),
           SelectChoice("past_year", "In the past year"),
           SelectChoice("past_month", "In the past month"),
           SelectChoice("past_week", "In the past week")]
SUBSTANCES = [("alcohol", "Alcohol"), ("cannabis", "Cannabis"),
              ("stimulants", "Stimulants (for example cocaine, amphetamines)"),
              ("opioids", "Opioids not prescribed to you"),
              ("ketamine", "Ketamine outside medical care")]
PHONE_RE = re.compile(r"^\+?[0-9(][0-9 ().-]{6,22}[0-9]$")


class PlainDateField(DateField):
    """A date field whose parse error is in plain words."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError("Please enter the date as month, day and year, "
                             "for example 04/21/1990.") from exc


def required(message="Please answer this question."):
    return InputRequired(message)


def text(label, limit=TEXT_LIMIT, optional=True, help=None):
    note = f"Up to {limit:,} characters."
    return TextAreaField(label, description=f"{help} {note}" if help else note, validators=[
        Optional() if optional else DataRequired("Please fill this in."),
        Length(max=limit, message=f"Please shorten this to {limit:,} characters or fewer.")])


def short(label, optional=False, help=None, limit=SHORT_LIMIT):
    return StringField(label, description=help, validators=[
        Optional() if optional else DataRequired("Please fill this in."),
        Length(max=limit, message=f"Please use at most {limit} characters.")])


def choice(label, choices, help=None):
    return RadioField(label, choices=choices, description=help,
                      validators=[required()], validate_choice=True)


def valid_phone(form, field):
    digits = re.sub(r"\D", "", field.data or "")
    if field.data and (not PHONE_RE.match(field.data.strip()) or not 7 <= len(digits) <= 15):
        raise ValidationError("Please enter a phone number with its area code, like "
                              "(555) 123-4567 or +1 555 123 4567.")


def phone_field(label, optional=False):
    return TelField(label, validators=[
        Optional() if optional else DataRequired("Please enter a phone number."),
        Length(max=25, message="Please use at most 25 characters."), valid_phone],
        render_kw={"autocomplete": "tel"})


class AboutForm(FlaskForm):
    title = "About you"
    legal_name = short("Legal name", help="As on your ID; we need it for your records.")
    preferred_name = short("Name you would like us to use", optional=True)
    date_of_birth = PlainDateField("Date of birth", validators=[
        InputRequired("Please enter your date of birth.")],
        description="You must be 18 or older for this program.")
    pronouns = short("Pronouns", optional=True, limit=40)
    phone = phone_field("Phone number")
    address_line = short("Street address", limit=200)
    city = short("City")
    state = short("State", limit=60)
    postal_code = short("ZIP code", limit=12)
    timezone = SelectField("Time zone", choices=timezone_choices, validate_choice=True)
    emergency_name = short("Emergency contact: name")
    emergency_relation = short("Emergency contact: relationship to you", limit=60)
    emergency_phone = phone_field("Emergency contact: phone number")

    def validate_date_of_birth(self, field):
        today = date.today()
        dob = field.data
        if dob is None:  # not a date: the field already says so
            return
        if dob > today:
            raise ValidationError("The date of birth cannot be in the future.")
        if dob.year < 1900:
            raise ValidationError("Please check the year.")
        age = today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))
        if age < 18:
            raise ValidationError("This program is for adults 18 and older. Please contact "
                                  "the practice to talk about other options.")


class HistoryForm(FlaskForm):
    title = "Mental-health history"
    diagnoses = text("Diagnoses you have been given, if any", optional=True)
    current_therapy = choice("Are you seeing a therapist or counsellor now?", YES_NO)
    treatment_details = text("Past and current treatment", help="Therapy, medications you have "
                             "tried and how they worked for you.")
    ect_tms = choice("Have you had ECT or TMS?", YES_NO)
    prior_ketamine = choice("Have you had ketamine treatment before?", YES_NO)
    prior_psychedelics = text("Any experience with psychedelics", optional=True)
    hospitalisations = choice("Have you ever been hospitalised for your mental health?", YES_NO)
    hospitalisation_details = text("If yes, when and why", optional=True)
    prescriber = short("Your psychiatrist or prescriber (name and contact), if any",
                       optional=True, limit=200)


class MedicalForm(FlaskForm):
    title = "Medical screening"
    bp_known = choice("Do you know your usual blood pressure?", YES_NO)
    bp_systolic = IntegerField("Top number (systolic)", validators=[
        Optional(), NumberBetween(60, 260, "Please enter a number between 60 and 260.")])
    bp_diastolic = IntegerField("Bottom number (diastolic)", validators=[
        Optional(), NumberBetween(30, 160, "Please enter a number between 30 and 160.")])
    bp_controlled = choice("Is your blood pressure normal or well controlled?", YES_NO_UNSURE)
    heart_disease = choice("Heart disease (for example heart attack, heart failure)?", YES_NO)
    arrhythmia = choice("An irregular heartbeat (arrhythmia)?", YES_NO)
    stroke = choice("A stroke or mini-stroke?", YES_NO)
    pregnant = choice("Are you pregnant, trying to become pregnant, or breastfeeding?",
                      YES_NO_UNSURE)
    liver_disease = choice("Liver disease?", YES_NO)
    bladder_problems = choice("Bladder or urinary problems?", YES_NO)
    hyperthyroidism = choice("An overactive thyroid (hyperthyroidism)?", YES_NO)
    intracranial_pressure = choice("Raised pressure in the head (intracranial pressure)?", YES_NO)
    glaucoma = choice("Glaucoma or raised eye pressure?", YES_NO)
    ketamine_allergy = choice("An allergy or bad reaction to ketamine?", YES_NO)
    weight = IntegerField("Weight", validators=[
        InputRequired("Please enter your weight."),
        NumberBetween(50, 900, "Please enter a weight between 50 and 900.")])
    weight_unit = SelectField("Unit", choices=[SelectChoice("lb", "pounds"),
                                               SelectChoice("kg", "kilograms")],
                              validate_choice=True)
    medical_notes = text("Anything else about your health we should know", optional=True)

    def validate_bp_systolic(self, field):
        if self.bp_known.data == "yes" and field.data is None:
            raise ValidationError("Please enter the top number, or answer No above.")

    def validate_bp_diastolic(self, field):
        if self.bp_known.data == "yes" and field.data is None:
            raise ValidationError("Please enter the bottom number, or answer No above.")


class PsychiatricForm(FlaskForm):
    title = "Psychiatric screening"
    psychosis = choice("Have you had psychosis (hearing or seeing things others don't, or "
                       "beliefs others found very unusual)?", HISTORY)
    mania = choice("Have you had mania or hypomania (days of very high energy, little sleep, "
                   "racing thoughts)?", HISTORY)
    bipolar = choice("Have you been diagnosed with bipolar disorder?", YES_NO)
    dissociative = choice("Have you been diagnosed with a dissociative disorder?", YES_NO)
    family_psychosis = choice("Has a parent, sibling or child had psychosis or schizophrenia?",
                              YES_NO_UNSURE)
    use_alcohol = choice("Alcohol: when did you last drink?", RECENCY)
    use_cannabis = choice("Cannabis: when did you last use it?", RECENCY)
    use_stimulants = choice("Stimulants (for example cocaine, amphetamines): last use?", RECENCY)
    use_opioids = choice("Opioids not prescribed to you: last use?", RECENCY)
    use_ketamine = choice("Ketamine outside medical care: last use?", RECENCY)
    substance_notes = text("Anything you want to add about substance use", optional=True)


class MedicationRow(Form):
    name = StringField("Medication", validators=[Optional(), Length(max=SHORT_LIMIT)])
    dose = StringField("Dose", validators=[Optional(), Length(max=60)])
    frequency = StringField("How often", validators=[Optional(), Length(max=60)])


class MedicationsForm(FlaskForm):
    title = "Current medications"
    medications = FieldList(FormField(MedicationRow), min_entries=1, max_entries=30)
    benzodiazepines = choice("Do you take a benzodiazepine (for example Xanax, Ativan, "
                             "Klonopin, Valium)?", YES_NO)
    maoi = choice("Do you take an MAOI (for example phenelzine, tranylcypromine, "
                  "selegiline)?", YES_NO)
    lamotrigine = choice("Do you take lamotrigine (Lamictal)?", YES_NO)
    opioids_rx = choice("Do you take a prescribed opioid pain medication?", YES_NO)
    stimulants_rx = choice("Do you take a prescribed stimulant (for example Adderall, "
                           "Ritalin)?", YES_NO)


def _measure_form():
    attrs = {"title": "How you have been feeling"}
    for n, item in enumerate(PHQ9_ITEMS, start=1):
        attrs[f"phq9_{n}"] = RadioField(item, choices=RESPONSE_CHOICES, validators=[
            required("Please choose one answer.")], coerce=int, validate_choice=True)
    attrs["phq9_difficulty"] = RadioField(PHQ9_DIFFICULTY[0], choices=PHQ9_DIFFICULTY[1],
                                          validators=[required("Please choose one answer.")],
                                          coerce=int, validate_choice=True)
    for n, item in enumerate(GAD7_ITEMS, start=1):
        attrs[f"gad7_{n}"] = RadioField(item, choices=RESPONSE_CHOICES, validators=[
            required("Please choose one answer.")], coerce=int, validate_choice=True)
    return type("MeasuresForm", (FlaskForm,), attrs)


MeasuresForm = _measure_form()


class GoalsForm(FlaskForm):
    title = "Goals and intentions"
    goals = text("What would you like to change or explore in therapy?", optional=False,
                 limit=LONG_TEXT_LIMIT)
    intentions = text("Any intentions or hopes for ketamine-assisted sessions", limit=LONG_TEXT_LIMIT)
    concerns = text("Any worries or questions you have", limit=LONG_TEXT_LIMIT)


class AmendmentForm(FlaskForm):
    message = text("What would you like to change?", optional=False)
