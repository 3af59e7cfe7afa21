"""The scored questionnaires: PHQ-9 and GAD-7 (past two weeks, 0–3 each) and the PCL-5 (past
month, 0–4 each): items, scoring, severity bands, response and remission.

PHQ-9 0–27: minimal 0–4, mild 5–9, moderate 10–14, moderately severe 15–19, severe 20–27.
GAD-7 0–21: minimal 0–4, mild 5–9, moderate 10–14, severe 15–21.
PCL-5 0–80: the National Center for PTSD gives no severity bands, only a provisional cut-off of
31–33 for probable PTSD; the chart shades below 33 and from 33 (Bovin et al., 2016).
PHQ-9 item 10 (difficulty) is recorded, never scored. Item 9 > 0 triggers the safety path.

Licences (only instruments free for clinical use):
- PHQ-9 and GAD-7: developed by Drs. Spitzer, Williams, Kroenke and colleagues with an
  educational grant from Pfizer Inc.; no permission is required to reproduce, translate, display
  or distribute (phqscreeners.com).
- PCL-5: public domain, a work of the US Department of Veterans Affairs, National Center for
  PTSD (Weathers et al., 2013; ptsd.va.gov).
- The C-SSRS screener is in portal/core/cssrs.py (its licence is named there).

Response: a drop of RESPONSE_DROP (50 %) or more from the baseline (the first score).
Remission: PHQ-9 < 5, GAD-7 < 5. The PCL-5 has no remission threshold in its guidance (it names
a 10-point change as clinically meaningful), so its remission is left undefined.
"""
from dataclasses import dataclass
from typing import NamedTuple

from wtforms.fields import SelectChoice

STEM = "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
RESPONSES = ["Not at all", "Several days", "More than half the days", "Nearly every day"]
RESPONSE_CHOICES = [SelectChoice(n, label) for n, label in enumerate(RESPONSES)]

PHQ9_ITEMS = [
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself — or that you are a failure or have let yourself or your "
    "family down",
    "Trouble concentrating on things, such as reading the newspaper or watching television",
    "Moving or speaking so slowly that other people could have noticed? Or the opposite — "
    "being so fidgety or restless that you have been moving around a lot more than usual",
    "Thoughts that you would be better off dead or of hurting yourself in some way",
]
PHQ9_DIFFICULTY = (
    "If you checked off any problems, how difficult have these problems made it for you to do "
    "your work, take care of things at home, or get along with other people?",
    [SelectChoice(n, label) for n, label in enumerate(
        ["Not difficult at all", "Somewhat difficult", "Very difficult", "Extremely difficult"])],
)
GAD7_ITEMS = [
    "Feeling nervous, anxious or on edge",
    "Not being able to stop or control worrying",
    "Worrying too much about different things",
    "Trouble relaxing",
    "Being so restless that it is hard to sit still",
    "Becoming easily annoyed or irritable",
    "Feeling afraid as if something awful might happen",
]
ITEM9_MEANING = "thoughts of being better off dead or of self-harm"

PCL5_STEM = ("Below is a list of problems that people sometimes have in response to a very "
             "stressful experience. In the past month, how much were you bothered by:")
PCL5_RESPONSES = ["Not at all", "A little bit", "Moderately", "Quite a bit", "Extremely"]
PCL5_ITEMS = [
    "Repeated, disturbing, and unwanted memories of the stressful experience?",
    "Repeated, disturbing dreams of the stressful experience?",
    "Suddenly feeling or acting as if the stressful experience were actually happening again "
    "(as if you were actually back there reliving it)?",
    "Feeling very upset when something reminded you of the stressful experience?",
    "Having strong physical reactions when something reminded you of the stressful experience "
    "(for example, heart pounding, trouble breathing, sweating)?",
    "Avoiding memories, thoughts, or feelings related to the stressful experience?",
    "Avoiding external reminders of the stressful experience (for example, people, places, "
    "conversations, activities, objects, or situations)?",
    "Trouble remembering important parts of the stressful experience?",
    "Having strong negative beliefs about yourself, other people, or the world (for example, "
    "having thoughts such as: I am bad, there is something seriously wrong with me, no one can "
    "be trusted, the world is completely dangerous)?",
    "Blaming yourself or someone else for the stressful experience or what happened after it?",
    "Having strong negative feelings such as fear, horror, anger, guilt, or shame?",
    "Loss of interest in activities that you used to enjoy?",
    "Feeling distant or cut off from other people?",
    "Trouble experiencing positive feelings (for example, being unable to feel happiness or "
    "have loving feelings for people close to you)?",
    "Irritable behavior, angry outbursts, or acting aggressively?",
    "Taking too many risks or doing things that could cause you harm?",
    "Being “superalert” or watchful or on guard?",
    "Feeling jumpy or easily startled?",
    "Having difficulty concentrating?",
    "Trouble falling or staying asleep?",
]

PHQ9_BANDS = [(0, 4, "minimal"), (5, 9, "mild"), (10, 14, "moderate"),
              (15, 19, "moderately severe"), (20, 27, "severe")]
GAD7_BANDS = [(0, 4, "minimal"), (5, 9, "mild"), (10, 14, "moderate"), (15, 21, "severe")]
PCL5_BANDS = [(0, 32, "under the cut-off"), (33, 80, "cut-off or above")]  # probable PTSD from 33
RESPONSE_DROP = 0.5


class Scale(NamedTuple):
    """One questionnaire: its key, display name, items, severity bands (low, high, name), answer
    labels (scored 0, 1, ...) and the total below which it counts as remission (None: none)."""

    key: str
    name: str
    items: list
    bands: list
    responses: list = RESPONSES
    remission_below: int | None = 5

    @property
    def top_answer(self):
        return len(self.responses) - 1

    @property
    def max_score(self):
        return self.bands[-1][1]

    def band(self, total):
        """The band's name for a total, or "" when the total is out of range."""
        return next((name for low, high, name in self.bands if low <= total <= high), "")


# The one definition of the repeat check-in pair (intake step and check-in page read this).
SCALES = {"phq9": Scale("phq9", "PHQ-9", PHQ9_ITEMS, PHQ9_BANDS),
          "gad7": Scale("gad7", "GAD-7", GAD7_ITEMS, GAD7_BANDS)}
PCL5 = Scale("pcl5", "PCL-5", PCL5_ITEMS, PCL5_BANDS, PCL5_RESPONSES, remission_below=None)
# Every scored instrument with a total over time: charts, response and remission read this.
TREND_SCALES = {**SCALES, "pcl5": PCL5}


@dataclass(frozen=True)
class Score:
    instrument: str
    total: int
    band: str
    item9_positive: bool = False


def band_for(instrument, total):
    name = TREND_SCALES[instrument].band(total)
    if not name:
        raise ValueError(f"{instrument} total {total} is out of range")
    return name


def score(instrument, items):
    """Score a list of item answers (each 0 to the scale's top answer); ValueError otherwise."""
    scale = TREND_SCALES[instrument]
    expected, top = len(scale.items), scale.top_answer
    if len(items) != expected:
        raise ValueError(f"{instrument} needs {expected} answers, got {len(items)}")
    if any(not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= top for v in items):
        raise ValueError(f"each answer must be a whole number from 0 to {top}")
    total = sum(items)
    return Score(instrument, total, band_for(instrument, total),
                 item9_positive=instrument == "phq9" and items[8] > 0)


def items_from(answers, instrument):
    """The item answers of one instrument from a measures-step answer dict."""
    count = len(TREND_SCALES[instrument].items)
    return [int(answers[f"{instrument}_{n}"]) for n in range(1, count + 1)]


class Change(NamedTuple):
    """Where a series of totals stands against its baseline (the first score)."""

    baseline: int
    latest: int
    response: bool  # latest at least RESPONSE_DROP below a baseline above 0
    remission: bool | None  # None: the instrument defines no remission


def change_from_baseline(instrument, totals):
    """Response and remission for totals in time order; None without any total.

    Both need a later score than the baseline. Remission: the latest total below the
    threshold after a baseline at or above it (a client who started below has nothing to remit).
    """
    if not totals:
        return None
    baseline, latest = totals[0], totals[-1]
    later = len(totals) > 1
    response = later and baseline > 0 and (baseline - latest) >= RESPONSE_DROP * baseline
    below = TREND_SCALES[instrument].remission_below
    remission = None if below is None else later and baseline >= below and latest < below
    return Change(baseline, latest, response, remission)
