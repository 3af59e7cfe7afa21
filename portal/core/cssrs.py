"""The Columbia–Suicide Severity Rating Scale (C-SSRS) screener, self-report, past month: its
questions, its branching and its risk level.

Licence: the C-SSRS is © The Research Foundation for Mental Hygiene, Inc.; its authors (the
Columbia Lighthouse Project, Columbia University) make it free to use without permission in
clinical care, community and public-health settings (cssrs.columbia.edu, "Use of the scale").

Branching (the screener's own instructions): Q1 and Q2 always; Q3, Q4 and Q5 only if Q2 is yes;
Q6 always; if Q6 is yes, ask whether it was within the past 3 months.

Risk level (the screener's triage, colour-coded in the Lighthouse Project's "Screener with
Triage Points"):
- high: yes to Q4 or Q5, or yes to Q6 within the past 3 months;
- moderate: yes to Q3, or yes to Q6 more than 3 months ago;
- low: anything else (including yes only to Q1 and/or Q2).
Moderate and high follow the PHQ-9 item-9 path: crisis page, urgent flag, therapist email.
"""
from typing import NamedTuple

KEY, NAME = "cssrs", "C-SSRS screener"
LOW, MODERATE, HIGH = "low", "moderate", "high"
RISK_LABELS = {LOW: "Low risk", MODERATE: "Moderate risk", HIGH: "High risk"}
RAISES_FLAG = (MODERATE, HIGH)

STEM = "In the past month:"
QUESTIONS = {
    "q1": "Have you wished you were dead or wished you could go to sleep and not wake up?",
    "q2": "Have you actually had any thoughts about killing yourself?",
    "q3": "Have you been thinking about how you might do this?",
    "q4": "Have you had these thoughts and had some intention of acting on them?",
    "q5": "Have you started to work out or worked out the details of how to kill yourself? "
          "Do you intend to carry out this plan?",
    "q6": "Have you ever done anything, started to do anything, or prepared to do anything to "
          "end your life? (For example: collected pills, obtained a gun, gave away valuables, "
          "wrote a will or suicide note, took out pills but didn't swallow any, held a gun but "
          "changed your mind or it was grabbed from your hand, went to the roof but didn't "
          "jump, or actually took pills, tried to shoot yourself, cut yourself, or tried to "
          "hang yourself.)",
    "q6_recent": "Was this within the past 3 months?",
}
ALWAYS = ("q1", "q2", "q6")
IF_Q2 = ("q3", "q4", "q5")


class Result(NamedTuple):
    """The answers the branching asked (True/False each) and the risk level."""

    answers: dict
    risk: str

    @property
    def raises_flag(self):
        return self.risk in RAISES_FLAG


def asked(answers):
    """The questions the branching asks, in order, given the answers so far."""
    keys = ["q1", "q2"]
    if answers.get("q2") is True:
        keys += list(IF_Q2)
    keys.append("q6")
    if answers.get("q6") is True:
        keys.append("q6_recent")
    return keys


def risk_level(answers):
    """The screener's triage for complete answers (only the asked ones are read)."""
    yes = {key for key in asked(answers) if answers.get(key) is True}
    if yes & {"q4", "q5"} or {"q6", "q6_recent"} <= yes:
        return HIGH
    if "q3" in yes or "q6" in yes:
        return MODERATE
    return LOW


def score(answers):
    """A Result from a dict of yes/no answers; ValueError if an asked question is unanswered or
    not a bool. Answers to questions the branching skips are dropped, never stored."""
    kept = {}
    for key in asked(answers):
        value = answers.get(key)
        if not isinstance(value, bool):
            raise ValueError(f"{key} needs a yes or no answer")
        kept[key] = value
    return Result(kept, risk_level(kept))
