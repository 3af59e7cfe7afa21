"""The client's forms for the PCL-5 and the C-SSRS screener (portal/core/measures.py and
portal/core/cssrs.py hold the instruments and their licences)."""
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField
from wtforms.fields import SelectChoice
from wtforms.validators import InputRequired, Optional

from portal.core import cssrs
from portal.core.measures import PCL5

YES_NO = [SelectChoice("yes", "Yes"), SelectChoice("no", "No")]
CHOOSE = "Please choose one answer."
# The screener's pages: each shows the questions of its group that the branching asks.
CSSRS_PAGES = (("q1", "q2"), ("q3", "q4", "q5", "q6"), ("q6_recent",))


def _pcl5_form():
    attrs = {}
    for n, item in enumerate(PCL5.items, start=1):
        attrs[f"pcl5_{n}"] = RadioField(
            item, coerce=int, validate_choice=True, validators=[InputRequired(CHOOSE)],
            choices=[SelectChoice(v, label) for v, label in enumerate(PCL5.responses)])
    return type("Pcl5Form", (FlaskForm,), attrs)


Pcl5Form = _pcl5_form()


def _cssrs_form():
    attrs = {"shown": HiddenField()}
    for key, text in cssrs.QUESTIONS.items():
        attrs[key] = RadioField(text, choices=YES_NO, validate_choice=False,
                                validators=[Optional()])
    return type("CssrsForm", (FlaskForm,), attrs)


CssrsForm = _cssrs_form()


def cssrs_answers(form):
    """The yes/no answers posted so far ({key: bool}); anything else counts as unanswered."""
    return {key: form[key].data == "yes" for key in cssrs.QUESTIONS
            if form[key].data in ("yes", "no")}


def cssrs_page(answers):
    """The questions to show next: the first page with asked questions still unanswered."""
    wanted = cssrs.asked(answers)
    for page in CSSRS_PAGES:
        missing = [key for key in page if key in wanted and key not in answers]
        if missing:
            return missing
    return []


def cssrs_shown(form):
    """The questions the last page showed (from its hidden field, only known keys)."""
    return [key for key in (form.shown.data or "").split(",") if key in cssrs.QUESTIONS]
