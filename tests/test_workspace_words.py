"""Words written once: the intake answers list that the client's and the therapist's reviews
share (templates/_intake_answers.html), and what the dashboard and the intake review say about a
safety flag (portal/workspace/flags.py)."""
from types import SimpleNamespace

from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, StringField
from wtforms.fields import SelectChoice

from portal.core.vocabulary import FlagKind, Severity
from portal.workspace import flags

MACRO = '{% from "_intake_answers.html" import answers_list %}{{ answers_list(form, with_values=v) }}'


class Step(FlaskForm):
    choice = RadioField("Pick one", choices=[SelectChoice("a", "Apple"), SelectChoice("b", "Banana")])
    count = IntegerField("How many")
    words = StringField("Anything else")


def render(app, with_values=False, **data):
    with app.test_request_context():
        form = Step(formdata=None, data=data, meta={"csrf": False})
        return app.jinja_env.from_string(MACRO).render(form=form, v=with_values)


def test_a_chosen_answer_shows_its_label_and_only_on_request_its_value(app):
    assert "<dd>Apple</dd>" in render(app, choice="a")
    assert "<dd>Apple (a)</dd>" in render(app, with_values=True, choice="a")


def test_empty_answers_and_choices_outside_the_options_show_not_answered(app):
    html = render(app, choice="z", count=None, words="")
    assert html.count('<span class="muted">Not answered</span>') == 3


def test_a_zero_is_an_answer(app):
    assert "<dd>0</dd>" in render(app, count=0)


def flag(**fields):
    return SimpleNamespace(**{"kind": FlagKind.CONTRAINDICATION, "severity": Severity.EXCLUDE,
                              "code": "pregnancy", "source": "intake", **fields})


def test_item9_reads_the_same_on_the_dashboard_and_the_review():
    item9 = flag(kind=FlagKind.ITEM9, severity=Severity.URGENT, code="phq9_item9", source="checkin")
    badge, line = flags.dashboard_title(item9)
    title, detail = flags.review_title(item9)
    assert badge == "Item 9"
    assert line.startswith(flags.ITEM9) and title.startswith(flags.ITEM9)
    assert flags.ITEM9_MEANING in line and flags.ITEM9_MEANING in title
    assert detail == "Answered above 0 in a check-in."


def test_post_dosing_reasons_in_words_on_the_dashboard():
    worried = flag(kind=FlagKind.POST_DOSING, severity=Severity.URGENT, code="dissociation+low_mood",
                   source="post_dosing")
    assert flags.dashboard_title(worried) == (
        "Urgent", "Worrying answers after a dosing session: lingering dissociation, "
                  "mood 3/10 or lower")
    assert flags.source_words("post_dosing", short=True) == "the check-in after a dosing session"


def test_a_flag_no_rule_describes_is_titled_by_its_code():
    assert flags.dashboard_title(flag()) == ("Exclusion", "Pregnancy")
    assert flags.review_title(flag()) == ("Pregnancy", "Raised from the intake questionnaire.")
    assert flags.source_words("intake", short=True) == "the intake"
