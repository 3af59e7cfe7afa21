"""Contraindication rules: each rule raises its flag from a minimal answer set, nothing else does."""
import dataclasses

import pytest

from portal.intake import rules
from portal.intake.rules import SEVERITY_LABELS, SEVERITY_ORDER, Flag, evaluate

HEALTHY = {
    "legal_name": "Alex Example", "date_of_birth": "1985-04-02", "phone": "(555) 123-4567",
    "current_therapy": "yes", "ect_tms": "no", "prior_ketamine": "no", "hospitalisations": "no",
    "bp_known": "yes", "bp_systolic": 118, "bp_diastolic": "76", "bp_controlled": "yes",
    "heart_disease": "no", "arrhythmia": "no", "stroke": "no", "pregnant": "no",
    "liver_disease": "no", "bladder_problems": "no", "hyperthyroidism": "no",
    "intracranial_pressure": "no", "glaucoma": "no", "ketamine_allergy": "no",
    "weight": 160, "weight_unit": "lb",
    "psychosis": "never", "mania": "never", "bipolar": "no", "dissociative": "no",
    "family_psychosis": "no", "use_alcohol": "past_year", "use_cannabis": "over_year",
    "use_stimulants": "never", "use_opioids": "never", "use_ketamine": "over_year",
    "medications": [{"name": "Sertraline", "dose": "100 mg", "frequency": "daily"},
                    {"name": "", "dose": "", "frequency": ""}],
    "benzodiazepines": "no", "maoi": "no", "lamotrigine": "no", "opioids_rx": "no",
    "stimulants_rx": "no",
    **{f"phq9_{n}": 1 for n in range(1, 10)}, "phq9_difficulty": 1,
    **{f"gad7_{n}": 1 for n in range(1, 8)},
    "goals": "Feel less stuck.",
}
CHOICE_KEYS = [key for key, value in HEALTHY.items()
               if isinstance(value, str) and value in {"yes", "no", "never", "past_year", "over_year"}]


def meds(*names):
    return {"medications": [{"name": name, "dose": "", "frequency": ""} for name in names]}


def codes(answers):
    return [flag.code for flag in evaluate(answers)]


# One row per rule: the minimal answers that raise it, its code and its severity.
RULE_CASES = [
    # exclude
    ({"psychosis": "current"}, "psychosis_current", "exclude"),
    ({"mania": "current"}, "mania_current", "exclude"),
    ({"pregnant": "yes"}, "pregnancy", "exclude"),
    ({"ketamine_allergy": "yes"}, "ketamine_allergy", "exclude"),
    # needs clearance
    ({"bp_known": "no"}, "blood_pressure", "needs_clearance"),
    ({"bp_controlled": "no"}, "blood_pressure", "needs_clearance"),
    ({"bp_controlled": "unsure"}, "blood_pressure", "needs_clearance"),
    ({"bp_systolic": 140, "bp_diastolic": 80}, "blood_pressure", "needs_clearance"),
    ({"bp_systolic": "120", "bp_diastolic": "90"}, "blood_pressure", "needs_clearance"),
    ({"bp_systolic": 165}, "blood_pressure", "needs_clearance"),
    ({"heart_disease": "yes"}, "heart_disease", "needs_clearance"),
    ({"arrhythmia": "yes"}, "arrhythmia", "needs_clearance"),
    ({"stroke": "yes"}, "stroke", "needs_clearance"),
    ({"bipolar": "yes"}, "bipolar", "needs_clearance"),
    ({"family_psychosis": "yes"}, "family_psychosis", "needs_clearance"),
    ({"maoi": "yes"}, "maoi", "needs_clearance"),
    (meds("Phenelzine 15 mg"), "maoi_listed", "needs_clearance"),
    ({"psychosis": "past"}, "psychosis_past", "needs_clearance"),
    ({"mania": "past"}, "mania_past", "needs_clearance"),
    ({"liver_disease": "yes"}, "liver_disease", "needs_clearance"),
    ({"hyperthyroidism": "yes"}, "hyperthyroidism", "needs_clearance"),
    ({"intracranial_pressure": "yes"}, "intracranial_pressure", "needs_clearance"),
    ({"glaucoma": "yes"}, "glaucoma", "needs_clearance"),
    ({"pregnant": "unsure"}, "pregnancy_unsure", "needs_clearance"),
    # caution
    ({"family_psychosis": "unsure"}, "family_psychosis_unsure", "caution"),
    ({"benzodiazepines": "yes"}, "benzodiazepine", "caution"),
    (meds("Klonopin 0.5mg"), "benzodiazepine_listed", "caution"),
    ({"lamotrigine": "yes"}, "lamotrigine", "caution"),
    (meds("LAMICTAL XR"), "lamotrigine_listed", "caution"),
    ({"use_alcohol": "past_month"}, "recent_alcohol", "caution"),
    ({"use_cannabis": "past_week"}, "recent_cannabis", "caution"),
    ({"use_stimulants": "past_month"}, "recent_stimulants", "caution"),
    ({"use_opioids": "past_week"}, "recent_opioids", "caution"),
    ({"use_ketamine": "past_year"}, "ketamine_nonmedical", "caution"),
    ({"use_ketamine": "past_week"}, "ketamine_nonmedical", "caution"),
    ({"opioids_rx": "yes"}, "opioids_rx", "caution"),
    ({"stimulants_rx": "yes"}, "stimulants_rx", "caution"),
    ({"bladder_problems": "yes"}, "bladder_problems", "caution"),
    ({"dissociative": "yes"}, "dissociative", "caution"),
]


@pytest.mark.parametrize("answers, code, severity", RULE_CASES,
                         ids=[f"{c}-{'-'.join(map(str, a.values()))}"[:60] for a, c, _ in RULE_CASES])
def test_each_rule_raises_its_own_flag_and_nothing_else(answers, code, severity):
    flags = evaluate(answers)
    assert [(f.code, f.severity) for f in flags] == [(code, severity)]
    flag = flags[0]
    assert flag.title and flag.detail and flag.step in rules.STEPS


@pytest.mark.parametrize("answers, code, severity", RULE_CASES)
def test_each_rule_fires_on_top_of_an_otherwise_healthy_intake(answers, code, severity):
    assert codes({**HEALTHY, **answers}) == [code]


def test_a_fully_healthy_intake_raises_no_flags():
    assert evaluate(HEALTHY) == []


def test_an_empty_intake_raises_no_flags():
    assert evaluate({}) == []


def test_blood_pressure_detail_quotes_the_reading():
    [flag] = evaluate({"bp_known": "yes", "bp_systolic": "150", "bp_diastolic": 95})
    assert "Blood pressure reported as 150/95" in flag.detail


def test_blood_pressure_reasons_are_one_flag_with_every_reason():
    [flag] = evaluate({"bp_controlled": "no", "bp_systolic": 150, "bp_diastolic": 95})
    assert "not controlled" in flag.detail and "150/95" in flag.detail


def test_blood_pressure_just_under_the_limits_is_not_flagged():
    assert evaluate({"bp_known": "yes", "bp_systolic": 139, "bp_diastolic": "89",
                     "bp_controlled": "yes"}) == []


@pytest.mark.parametrize("key", ["use_alcohol", "use_cannabis", "use_stimulants", "use_opioids"])
@pytest.mark.parametrize("recency", ["never", "over_year", "past_year"])
def test_substance_use_longer_than_a_month_ago_is_not_flagged(key, recency):
    assert evaluate({key: recency}) == []


@pytest.mark.parametrize("recency", ["never", "over_year"])
def test_ketamine_use_over_a_year_ago_is_not_flagged(recency):
    assert evaluate({"use_ketamine": recency}) == []


def test_ketamine_use_flag_mentions_misuse():
    [flag] = evaluate({"use_ketamine": "past_month"})
    assert "misuse" in flag.detail and "past month" in flag.detail


@pytest.mark.parametrize("code, names", [(code, names.split())
                                         for _, code, _, _, names in rules.LISTED_MEDICATIONS])
def test_every_listed_medication_name_is_recognised_in_any_case(code, names):
    for name in names:
        assert codes(meds(f"{name.upper()} 10 mg")) == [code], name
        assert codes(meds(name.capitalize())) == [code], name


@pytest.mark.parametrize("name", ["Sertraline", "Lamivudine", "Bupropion", "Lithium", "", "   "])
def test_unrelated_medication_names_are_not_flagged(name):
    assert evaluate(meds(name)) == []


def test_listed_flag_names_the_row_the_client_typed():
    [flag] = evaluate(meds("Sertraline", "xanax 0.5 mg"))
    assert "xanax 0.5 mg" in flag.detail and "Sertraline" not in flag.detail


@pytest.mark.parametrize("question, name, code", [
    ("maoi", "Nardil", "maoi"),
    ("benzodiazepines", "Ativan 1 mg", "benzodiazepine"),
    ("lamotrigine", "lamotrigine 200mg", "lamotrigine"),
])
def test_a_listed_medication_already_declared_is_flagged_once(question, name, code):
    assert codes({question: "yes", **meds(name)}) == [code]


def test_flags_are_ordered_by_severity_then_code():
    answers = {"use_cannabis": "past_week", "stroke": "yes", "pregnant": "yes",
               "dissociative": "yes", "arrhythmia": "yes", "psychosis": "current"}
    flags = evaluate(answers)
    assert [(f.severity, f.code) for f in flags] == [
        ("exclude", "pregnancy"), ("exclude", "psychosis_current"),
        ("needs_clearance", "arrhythmia"), ("needs_clearance", "stroke"),
        ("caution", "dissociative"), ("caution", "recent_cannabis")]


def test_everything_at_once_gives_each_concern_one_flag_in_order():
    answers = {key: "yes" for key in CHOICE_KEYS}
    answers.update({"psychosis": "current", "mania": "past", "use_alcohol": "past_week",
                    "use_ketamine": "past_month", "bp_systolic": 180, "bp_diastolic": 110,
                    **meds("phenelzine", "diazepam", "lamictal")})
    flags = evaluate(answers)
    found = [f.code for f in flags]
    assert len(found) == len(set(found))
    assert {"maoi", "benzodiazepine", "lamotrigine", "blood_pressure"} <= set(found)
    assert not {"maoi_listed", "benzodiazepine_listed", "lamotrigine_listed"} & set(found)
    ranks = [SEVERITY_ORDER.index(f.severity) for f in flags]
    assert ranks == sorted(ranks)


GARBAGE = [None, "", "maybe", 999, -1, 1e400, True, [], ["yes"], {"yes": 1}, b"yes", object()]
GARBAGE_IDS = [f"{type(v).__name__}{i}" for i, v in enumerate(GARBAGE)]


@pytest.mark.parametrize("value", GARBAGE, ids=GARBAGE_IDS)
def test_garbage_in_any_answer_never_raises(value):
    for key in [*HEALTHY, "medications"]:
        flags = evaluate({**HEALTHY, key: value})
        assert all(isinstance(flag, Flag) for flag in flags)
    assert isinstance(evaluate(dict.fromkeys(HEALTHY, value)), list)


@pytest.mark.parametrize("key", CHOICE_KEYS)
def test_unrecognised_choice_answers_are_unknown_not_flags(key):
    for value in [*GARBAGE, "YES!", "current-ish"]:
        assert evaluate({**HEALTHY, key: value}) == [], value


@pytest.mark.parametrize("rows", [
    None, "phenelzine", 42, [None, 3, "xanax"], [{"name": None}], [{"name": 5}], [{}],
    [{"dose": "phenelzine"}], ({"name": "Sertraline"},),
])
def test_malformed_medication_rows_never_raise_or_flag(rows):
    assert evaluate({"medications": rows}) == []


@pytest.mark.parametrize("systolic, diastolic", [
    (None, None), ("", ""), ("high", "low"), ("nan", "inf"), (10**400, None), ([], {}),
])
def test_unreadable_blood_pressure_numbers_are_unknown(systolic, diastolic):
    assert evaluate({"bp_systolic": systolic, "bp_diastolic": diastolic}) == []


@pytest.mark.parametrize("answers", [None, [], "yes", 3])
def test_answers_that_are_not_a_mapping_give_no_flags(answers):
    assert evaluate(answers) == []


def test_severities_have_plain_labels_in_order():
    assert SEVERITY_ORDER == ("exclude", "needs_clearance", "caution")
    assert [SEVERITY_LABELS[s] for s in SEVERITY_ORDER] == [
        "Exclusion", "Needs medical clearance", "Caution"]
    [flag] = evaluate({"glaucoma": "yes"})
    assert flag.severity_label == "Needs medical clearance"


def test_flags_are_frozen_and_their_repr_carries_no_answers():
    [flag] = evaluate({"bp_systolic": 171})
    with pytest.raises(dataclasses.FrozenInstanceError):
        flag.severity = "caution"
    assert "171" not in repr(flag) and "blood_pressure" in repr(flag)


def test_flag_refuses_an_unknown_severity():
    with pytest.raises(ValueError):
        Flag("x", "urgent", "X", "x")


def test_rule_codes_are_unique_snake_case():
    all_codes = ([r.code for r in rules.ANSWER_RULES] + [r[0] for r in rules.SUBSTANCE_RULES]
                 + [r[1] for r in rules.LISTED_MEDICATIONS] + ["blood_pressure"])
    assert len(all_codes) == len(set(all_codes))
    assert all(code.replace("_", "").isalnum() and code == code.lower() for code in all_codes)


def test_listed_medications_from_saved_rows_reach_the_rules(app, factories):
    """The form stores `medications-0-name` keys; all_answers() turns them into the list."""
    from portal.extensions import db
    from portal.intake import rules
    from portal.models.intake import Intake, IntakeStep
    client = factories.make_client()
    intake = Intake(client=client)
    db.session.add(intake)
    db.session.add(IntakeStep(intake=intake, step="medications", complete=True, data={
        "medications-0-name": "Xanax", "medications-0-dose": "0.5 mg", "benzodiazepines": "no",
        "medications-1-name": "", "maoi": "no"}))
    db.session.commit()
    answers = intake.all_answers()
    assert answers["medications"] == [{"name": "Xanax", "dose": "0.5 mg"}]
    assert "benzodiazepine_listed" in {f.code for f in rules.evaluate(answers)}
