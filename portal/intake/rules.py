"""Contraindication rules for ketamine-assisted psychotherapy: intake answers in, flags out.

The rules are data (ANSWER_RULES, SUBSTANCE_RULES, LISTED_MEDICATIONS) plus a few small functions;
`evaluate(answers)` runs them all. `answers` is the flat dict of every step's answers, keyed by the
field names in portal/intake/forms.py. A missing or unrecognised answer is unknown and raises no flag:
the form requires every screening question before submit, so gaps only appear in drafts.

Clinical reasoning (where the issue is silent), from the KAP and ketamine-label literature:
- Ketamine raises heart rate and blood pressure for about an hour (sympathomimetic), so cardiovascular
  disease, stroke, hyperthyroidism, MAOIs and stimulants need a doctor's view or care.
- The label lists raised intracranial and intraocular pressure (glaucoma) as risks; ketamine is
  metabolised in the liver and repeated use is linked to liver injury.
- Ketamine is psychotomimetic: active psychosis or mania exclude; a personal or family history needs
  a psychiatrist's view. Ketamine induces dissociation, so dissociative disorders need care.
- Pregnancy and breastfeeding: no safety data and neurodevelopmental concerns, so exclude; "not sure"
  needs a test or a clinician's word first.
- Benzodiazepines (GABA-A) and lamotrigine (reduces glutamate release) blunt ketamine's effect.
- Recent alcohol and opioids add sedation and breathing risk; cannabis adds to dissociation and
  anxiety; stimulants add to the rise in blood pressure. Non-medical ketamine use points to misuse
  risk, tolerance and bladder damage (ketamine cystitis), as do existing bladder problems.
"""
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from portal.models.intake import STEPS as INTAKE_STEPS

EXCLUDE, CLEARANCE, CAUTION = "exclude", "needs_clearance", "caution"
SEVERITY_ORDER = (EXCLUDE, CLEARANCE, CAUTION)
SEVERITY_LABELS = {EXCLUDE: "Exclusion", CLEARANCE: "Needs medical clearance", CAUTION: "Caution"}
STEPS = tuple(step for step in INTAKE_STEPS if step != "consents")  # the steps with answers
BP_SYSTOLIC_LIMIT, BP_DIASTOLIC_LIMIT = 140, 90


@dataclass(frozen=True)
class Flag:
    """One reason for the therapist to exclude, seek clearance or take care. repr shows no PHI."""

    code: str
    severity: str
    title: str = field(repr=False)
    detail: str = field(repr=False)
    step: str | None = None

    def __post_init__(self):
        if self.severity not in SEVERITY_ORDER:
            raise ValueError(f"unknown severity {self.severity!r}")
        if self.step is not None and self.step not in STEPS:
            raise ValueError(f"unknown step {self.step!r}")

    @property
    def severity_label(self):
        return SEVERITY_LABELS[self.severity]


class AnswerRule(NamedTuple):
    """A flag raised when one answer takes one of the given values."""

    code: str
    severity: str
    step: str
    key: str
    values: frozenset
    title: str
    detail: str


def _rule(code, severity, step, key, values, title, detail):
    return AnswerRule(code, severity, step, key, frozenset(values.split()), title, detail)


RAISES_BP = "Ketamine raises heart rate and blood pressure for about an hour."
ANSWER_RULES = [
    _rule("psychosis_current", EXCLUDE, "psychiatric", "psychosis", "current", "Active psychosis",
          "Psychosis reported as current or in the last year; ketamine can worsen psychosis."),
    _rule("mania_current", EXCLUDE, "psychiatric", "mania", "current", "Current mania or hypomania",
          "Mania or hypomania reported as current or in the last year; ketamine can worsen it."),
    _rule("pregnancy", EXCLUDE, "medical", "pregnant", "yes",
          "Pregnant, trying to conceive or breastfeeding",
          "Answered Yes to pregnancy, trying to conceive or breastfeeding; ketamine's safety "
          "for a pregnancy or a nursing baby is not established."),
    _rule("ketamine_allergy", EXCLUDE, "medical", "ketamine_allergy", "yes", "Ketamine allergy",
          "Answered Yes to an allergy or bad reaction to ketamine."),
    _rule("pregnancy_unsure", CLEARANCE, "medical", "pregnant", "unsure", "Pregnancy not ruled out",
          "Answered Not sure to pregnancy or breastfeeding; confirm before any ketamine session."),
    _rule("heart_disease", CLEARANCE, "medical", "heart_disease", "yes", "Heart disease",
          f"Answered Yes to heart disease. {RAISES_BP}"),
    _rule("arrhythmia", CLEARANCE, "medical", "arrhythmia", "yes", "Irregular heartbeat",
          f"Answered Yes to an irregular heartbeat (arrhythmia). {RAISES_BP}"),
    _rule("stroke", CLEARANCE, "medical", "stroke", "yes", "Past stroke or mini-stroke",
          f"Answered Yes to a stroke or mini-stroke. {RAISES_BP}"),
    _rule("liver_disease", CLEARANCE, "medical", "liver_disease", "yes", "Liver disease",
          "Answered Yes to liver disease; ketamine is cleared by the liver and repeated use has "
          "been linked to liver injury."),
    _rule("hyperthyroidism", CLEARANCE, "medical", "hyperthyroidism", "yes", "Overactive thyroid",
          f"Answered Yes to hyperthyroidism, which adds to ketamine's effect on the heart. {RAISES_BP}"),
    _rule("intracranial_pressure", CLEARANCE, "medical", "intracranial_pressure", "yes",
          "Raised intracranial pressure",
          "Answered Yes to raised pressure in the head; ketamine may raise it further."),
    _rule("glaucoma", CLEARANCE, "medical", "glaucoma", "yes", "Glaucoma or raised eye pressure",
          "Answered Yes to glaucoma or raised eye pressure; ketamine may raise eye pressure."),
    _rule("bipolar", CLEARANCE, "psychiatric", "bipolar", "yes", "Bipolar disorder",
          "Answered Yes to a bipolar diagnosis; ketamine can trigger mania."),
    _rule("psychosis_past", CLEARANCE, "psychiatric", "psychosis", "past", "Past psychosis",
          "Psychosis reported in the past; ketamine can bring it back."),
    _rule("mania_past", CLEARANCE, "psychiatric", "mania", "past", "Past mania or hypomania",
          "Mania or hypomania reported in the past; ketamine can trigger it."),
    _rule("family_psychosis", CLEARANCE, "psychiatric", "family_psychosis", "yes",
          "Family history of psychosis",
          "A parent, sibling or child has had psychosis or schizophrenia; raised risk of a "
          "psychotic reaction."),
    _rule("family_psychosis_unsure", CAUTION, "psychiatric", "family_psychosis", "unsure",
          "Family history of psychosis not known",
          "Answered Not sure whether a parent, sibling or child has had psychosis; ask about it."),
    _rule("maoi", CLEARANCE, "medications", "maoi", "yes", "Takes an MAOI",
          f"Answered Yes to taking an MAOI; with ketamine, risk of a dangerous rise in blood "
          f"pressure. {RAISES_BP}"),
    _rule("benzodiazepine", CAUTION, "medications", "benzodiazepines", "yes",
          "Takes a benzodiazepine",
          "Answered Yes to taking a benzodiazepine, which may blunt ketamine's effect."),
    _rule("lamotrigine", CAUTION, "medications", "lamotrigine", "yes", "Takes lamotrigine",
          "Answered Yes to taking lamotrigine, which may blunt ketamine's effect."),
    _rule("opioids_rx", CAUTION, "medications", "opioids_rx", "yes", "Takes a prescribed opioid",
          "Answered Yes to a prescribed opioid; together with ketamine, more sedation and slower "
          "breathing."),
    _rule("stimulants_rx", CAUTION, "medications", "stimulants_rx", "yes",
          "Takes a prescribed stimulant",
          f"Answered Yes to a prescribed stimulant, which adds to ketamine's effect. {RAISES_BP}"),
    _rule("bladder_problems", CAUTION, "medical", "bladder_problems", "yes",
          "Bladder or urinary problems",
          "Answered Yes to bladder or urinary problems; ketamine can damage the bladder "
          "(ketamine cystitis)."),
    _rule("dissociative", CAUTION, "psychiatric", "dissociative", "yes", "Dissociative disorder",
          "Answered Yes to a dissociative disorder diagnosis; ketamine induces dissociation."),
]

RECENCY_LABELS = {"over_year": "more than a year ago", "past_year": "in the past year",
                  "past_month": "in the past month", "past_week": "in the past week"}
RECENT = "past_month past_week"
# (code, answer key, recencies that flag, title, why): all caution.
SUBSTANCE_RULES = [
    ("recent_alcohol", "use_alcohol", RECENT, "Recent alcohol use",
     "alcohol adds to ketamine's sedation"),
    ("recent_cannabis", "use_cannabis", RECENT, "Recent cannabis use",
     "cannabis can deepen dissociation and anxiety"),
    ("recent_stimulants", "use_stimulants", RECENT, "Recent stimulant use",
     "stimulants add to ketamine's rise in heart rate and blood pressure"),
    ("recent_opioids", "use_opioids", RECENT, "Recent non-prescribed opioid use",
     "opioids add to sedation and slow breathing"),
    ("ketamine_nonmedical", "use_ketamine", f"past_year {RECENT}",
     "Ketamine used outside medical care",
     "possible misuse: assess for ketamine use disorder, tolerance and bladder symptoms"),
]

# Free-text medication names (generic and common brands, lower case) that the explicit question
# should have caught. Code of the explicit flag, code if only listed, severity, what, names.
LISTED_MEDICATIONS = [
    ("maoi", "maoi_listed", CLEARANCE, "an MAOI",
     "phenelzine nardil tranylcypromine parnate isocarboxazid marplan selegiline emsam "
     "eldepryl zelapar rasagiline azilect moclobemide manerix"),
    ("benzodiazepine", "benzodiazepine_listed", CAUTION, "a benzodiazepine",
     "alprazolam xanax lorazepam ativan clonazepam klonopin diazepam valium temazepam restoril "
     "chlordiazepoxide librium oxazepam clobazam"),
    ("lamotrigine", "lamotrigine_listed", CAUTION, "lamotrigine", "lamotrigine lamictal"),
]


def _choice(answers, key):
    """A choice answer, normalised; None when missing or not a string."""
    value = answers.get(key)
    return value.strip().lower() if isinstance(value, str) else None


def _number(answers, key):
    """A finite number from an int, float or numeric string; None otherwise."""
    value = answers.get(key)
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        value = float(value)
    except OverflowError:
        return None
    return value if math.isfinite(value) else None


def answer_flags(answers):
    return [Flag(r.code, r.severity, r.title, r.detail, r.step)
            for r in ANSWER_RULES if _choice(answers, r.key) in r.values]


def blood_pressure_flags(answers):
    """One flag for every blood-pressure reason: unknown, not controlled, or a high reading."""
    reasons = []
    if _choice(answers, "bp_known") == "no":
        reasons.append("Usual blood pressure not known")
    controlled = _choice(answers, "bp_controlled")
    if controlled in ("no", "unsure"):
        reasons.append("Blood pressure reported as not controlled" if controlled == "no"
                       else "Not sure whether blood pressure is controlled")
    systolic, diastolic = _number(answers, "bp_systolic"), _number(answers, "bp_diastolic")
    if (systolic or 0) >= BP_SYSTOLIC_LIMIT or (diastolic or 0) >= BP_DIASTOLIC_LIMIT:
        shown = "/".join("?" if n is None else f"{n:g}" for n in (systolic, diastolic))
        reasons.append(f"Blood pressure reported as {shown} "
                       f"(limit {BP_SYSTOLIC_LIMIT}/{BP_DIASTOLIC_LIMIT})")
    if not reasons:
        return []
    return [Flag("blood_pressure", CLEARANCE, "Blood pressure needs a medical check",
                 "; ".join(reasons) + f". {RAISES_BP}", "medical")]


def substance_flags(answers):
    flags = []
    for code, key, recencies, title, why in SUBSTANCE_RULES:
        recency = _choice(answers, key)
        if recency in recencies.split():
            flags.append(Flag(code, CAUTION, title,
                              f"Last use {RECENCY_LABELS[recency]}; {why}.", "psychiatric"))
    return flags


def medication_names(answers):
    """The names typed in the medication rows, skipping anything that is not a name."""
    rows = answers.get("medications")
    if not isinstance(rows, list | tuple):
        return []
    names = (row.get("name") for row in rows if isinstance(row, Mapping))
    return [name.strip() for name in names if isinstance(name, str) and name.strip()]


def listed_medication_flags(answers, already):
    """Flags for medications typed in the list when the explicit question did not raise them."""
    names = medication_names(answers)
    flags = []
    for explicit, code, severity, what, terms in LISTED_MEDICATIONS:
        pattern = re.compile(r"\b(?:" + "|".join(terms.split()) + ")", re.IGNORECASE)
        found = [name for name in names if pattern.search(name)]
        if found and explicit not in already:
            flags.append(Flag(code, severity, f"The medication list includes {what}",
                              f"Listed: {', '.join(found)}, but the question about taking {what} "
                              f"was not answered Yes. Check with the client.", "medications"))
    return flags


def sort_key(flag):
    return SEVERITY_ORDER.index(flag.severity), flag.code


def evaluate(answers):
    """Every flag the answers raise, most severe first, then by code; one flag per code."""
    answers = answers if isinstance(answers, Mapping) else {}
    flags = answer_flags(answers) + blood_pressure_flags(answers) + substance_flags(answers)
    flags += listed_medication_flags(answers, {flag.code for flag in flags})
    unique = {flag.code: flag for flag in flags}
    return sorted(unique.values(), key=sort_key)
