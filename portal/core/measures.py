"""PHQ-9 and GAD-7: the standard items (past two weeks, 0–3 each), scoring and severity bands.

PHQ-9 0–27: minimal 0–4, mild 5–9, moderate 10–14, moderately severe 15–19, severe 20–27.
GAD-7 0–21: minimal 0–4, mild 5–9, moderate 10–14, severe 15–21.
PHQ-9 item 10 (difficulty) is recorded, never scored. Item 9 > 0 triggers the safety path.
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

PHQ9_BANDS = [(0, 4, "minimal"), (5, 9, "mild"), (10, 14, "moderate"),
              (15, 19, "moderately severe"), (20, 27, "severe")]
GAD7_BANDS = [(0, 4, "minimal"), (5, 9, "mild"), (10, 14, "moderate"), (15, 21, "severe")]


class Scale(NamedTuple):
    """One questionnaire: its key, display name, items and severity bands (low, high, name)."""

    key: str
    name: str
    items: list
    bands: list

    @property
    def max_score(self):
        return self.bands[-1][1]

    def band(self, total):
        """The band's name for a total, or "" when the total is out of range."""
        return next((name for low, high, name in self.bands if low <= total <= high), "")


# The one definition of the repeat measures: every page, chart and rule reads this.
SCALES = {"phq9": Scale("phq9", "PHQ-9", PHQ9_ITEMS, PHQ9_BANDS),
          "gad7": Scale("gad7", "GAD-7", GAD7_ITEMS, GAD7_BANDS)}


@dataclass(frozen=True)
class Score:
    instrument: str
    total: int
    band: str
    item9_positive: bool = False


def band_for(instrument, total):
    name = SCALES[instrument].band(total)
    if not name:
        raise ValueError(f"{instrument} total {total} is out of range")
    return name


def score(instrument, items):
    """Score a list of item answers (each 0–3); raises ValueError on anything else."""
    expected = len(SCALES[instrument].items)
    if len(items) != expected:
        raise ValueError(f"{instrument} needs {expected} answers, got {len(items)}")
    if any(not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= 3 for v in items):
        raise ValueError("each answer must be a whole number from 0 to 3")
    total = sum(items)
    return Score(instrument, total, band_for(instrument, total),
                 item9_positive=instrument == "phq9" and items[8] > 0)


def items_from(answers, instrument):
    """The item answers of one instrument from a measures-step answer dict."""
    count = len(SCALES[instrument].items)
    return [int(answers[f"{instrument}_{n}"]) for n in range(1, count + 1)]
