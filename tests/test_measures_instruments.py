"""The instruments themselves (pure): PCL-5 scoring, every path through the C-SSRS screener's
branching with its risk level, and response/remission from the baseline."""
import itertools

import pytest

from portal.core import cssrs, measures
from portal.core.measures import change_from_baseline


def test_pcl5_has_20_items_scored_0_to_4_for_a_total_of_0_to_80():
    assert len(measures.PCL5.items) == 20 and measures.PCL5.top_answer == 4
    assert measures.score("pcl5", [4] * 20).total == 80
    assert measures.score("pcl5", [0] * 20).band == "under the cut-off"
    assert measures.score("pcl5", [2] * 16 + [1] + [0] * 3).band == "cut-off or above"


@pytest.mark.parametrize("items", [[5] * 20, [0] * 19, [True] * 20, [-1] + [0] * 19])
def test_pcl5_refuses_out_of_range_answers(items):
    with pytest.raises(ValueError):
        measures.score("pcl5", items)


def test_phq9_still_refuses_a_4_after_the_pcl5_allows_one():
    with pytest.raises(ValueError):
        measures.score("phq9", [4] + [0] * 8)


def test_each_instrument_names_its_licence_in_code():
    assert "Pfizer" in measures.__doc__ and "no permission is required" in measures.__doc__
    assert "public domain" in measures.__doc__ and "National Center for PTSD" in measures.__doc__
    assert "Columbia Lighthouse Project" in cssrs.__doc__ and "free" in cssrs.__doc__


def _paths():
    """Every path through Q1–Q6: Q1, Q2 always; Q3–5 only after Q2 yes; Q6 always; the recency
    question only after Q6 yes."""
    for q1, q2, q6 in itertools.product((False, True), repeat=3):
        middles = itertools.product((False, True), repeat=3) if q2 else [None]
        for middle in middles:
            for recent in ((False, True) if q6 else [None]):
                answers = {"q1": q1, "q2": q2}
                if middle:
                    answers.update(zip(("q3", "q4", "q5"), middle, strict=True))
                answers["q6"] = q6
                if recent is not None:
                    answers["q6_recent"] = recent
                yield answers


def _expected(a):
    if a.get("q4") or a.get("q5") or (a["q6"] and a.get("q6_recent")):
        return cssrs.HIGH
    if a.get("q3") or a["q6"]:
        return cssrs.MODERATE
    return cssrs.LOW


PATHS = list(_paths())


def test_the_screener_has_54_paths():
    # Q1 × (Q2 no, or Q2 yes × Q3–5) × (Q6 no, or Q6 yes × recent) = 2 × 9 × 3
    assert len(PATHS) == 54


@pytest.mark.parametrize("answers", PATHS, ids=lambda a: "-".join(
    f"{k}{'y' if v else 'n'}" for k, v in a.items()))
def test_every_path_through_the_screener_gives_its_triage_risk(answers):
    result = cssrs.score(answers)
    assert result.risk == _expected(answers)
    assert result.answers == answers
    assert result.raises_flag == (result.risk in (cssrs.MODERATE, cssrs.HIGH))
    assert cssrs.asked(answers) == list(answers)


@pytest.mark.parametrize("answers, risk", [
    ({"q1": True, "q2": True, "q3": False, "q4": False, "q5": False, "q6": False}, "low"),
    ({"q1": False, "q2": True, "q3": True, "q4": False, "q5": False, "q6": False}, "moderate"),
    ({"q1": True, "q2": True, "q3": True, "q4": True, "q5": False, "q6": False}, "high"),
    ({"q1": True, "q2": True, "q3": False, "q4": False, "q5": True, "q6": False}, "high"),
    ({"q1": False, "q2": False, "q6": True, "q6_recent": False}, "moderate"),
    ({"q1": False, "q2": False, "q6": True, "q6_recent": True}, "high"),
])
def test_the_named_triage_points(answers, risk):
    assert cssrs.score(answers).risk == risk


def test_questions_the_branching_skips_are_dropped_not_scored():
    result = cssrs.score({"q1": False, "q2": False, "q3": True, "q4": True, "q5": True,
                          "q6": False, "q6_recent": True})
    assert result.risk == cssrs.LOW and set(result.answers) == {"q1", "q2", "q6"}


@pytest.mark.parametrize("answers", [{}, {"q1": True, "q2": True, "q6": False},
                                     {"q1": True, "q2": False, "q6": True},
                                     {"q1": "yes", "q2": False, "q6": False}])
def test_an_unanswered_asked_question_is_refused(answers):
    with pytest.raises(ValueError):
        cssrs.score(answers)


@pytest.mark.parametrize("instrument, totals, response, remission", [
    ("phq9", [20, 10], True, False),       # exactly 50 %: a response
    ("phq9", [20, 11], False, False),      # 45 %: not yet
    ("phq9", [20, 12, 4], True, True),     # below 5: remission
    ("phq9", [10, 5], True, False),        # 5 is not below 5
    ("phq9", [4, 2], True, False),         # started below 5: nothing to remit
    ("gad7", [12, 4], True, True),
    ("gad7", [12], False, False),          # the baseline alone is neither
    ("pcl5", [60, 20], True, None),        # the PCL-5 defines no remission
    ("phq9", [0, 0], False, False),
])
def test_response_and_remission_from_the_baseline(instrument, totals, response, remission):
    change = change_from_baseline(instrument, totals)
    assert (change.response, change.remission) == (response, remission)
    assert change.baseline == totals[0] and change.latest == totals[-1]


def test_no_scores_no_change():
    assert change_from_baseline("phq9", []) is None
