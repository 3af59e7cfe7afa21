"""What the therapist's review of a client's intake shows: the flags grouped by severity, the
questionnaire scores at intake, the answers step by step, the consents and open amendment
requests."""
from typing import NamedTuple

from sqlalchemy import select

from portal.core.measures import SCALES, items_from, score
from portal.core.vocabulary import (
    DECISION_SEVERITIES,
    SEVERITY_LABELS,
    FlagKind,
    Severity,
    Source,
)
from portal.extensions import db
from portal.intake import rules, services
from portal.intake.steps import STEP_TITLES
from portal.models.consent import ConsentSignature, unsigned_current
from portal.models.intake import STEPS, AmendmentRequest
from portal.models.measure import MeasureResult, SafetyFlag
from portal.workspace import flags

ANSWER_STEPS = [s for s in STEPS if s != "consents"]  # consents show as signatures instead


class FlagEntry(NamedTuple):
    severity: str
    title: str
    detail: str
    open_flag: SafetyFlag | None


class IntakeScore(NamedTuple):
    key: str
    name: str
    total: int
    maximum: int
    band: str
    item9_positive: bool
    recorded: bool  # False when computed from the answers (no stored result)


def open_flags(client):
    """The client's flags not yet acknowledged, oldest first."""
    return db.session.scalars(select(SafetyFlag).where(
        SafetyFlag.client_id == client.id, SafetyFlag.acknowledged_at.is_(None))
        .order_by(SafetyFlag.created_at, SafetyFlag.id)).all()


def flag_groups(client, intake):
    """[(severity, label, [FlagEntry])], most urgent first: open item-9 flags, then the rules'
    flags for the answers (each with its open SafetyFlag, if any), then other open flags."""
    groups = {severity: [] for severity in Severity}
    unmatched = []
    for flag in open_flags(client):
        if flag.kind == FlagKind.ITEM9:
            groups[Severity.URGENT].append(FlagEntry(Severity.URGENT, *flags.review_title(flag),
                                                     flag))
        else:
            unmatched.append(flag)
    for found in rules.evaluate(intake.all_answers()) if intake else []:
        row = next((f for f in unmatched if f.code == found.code), None)
        if row is not None:
            unmatched.remove(row)
        groups[found.severity].append(FlagEntry(found.severity, found.title, found.detail, row))
    for flag in unmatched:
        severity = flag.severity if flag.severity in groups else Severity.URGENT
        groups[severity].append(FlagEntry(severity, *flags.review_title(flag), flag))
    return [(key, SEVERITY_LABELS[key], entries) for key, entries in groups.items() if entries]


def decision_flags(groups):
    """[(SafetyFlag, title)]: the open flags of `flag_groups` that stand in the way of an
    "eligible" decision (urgent, exclusion, clearance), most urgent first."""
    return [(entry.open_flag, entry.title) for key, _, entries in groups
            if key in DECISION_SEVERITIES for entry in entries if entry.open_flag is not None]


def intake_scores(client, intake):
    """PHQ-9 and GAD-7 at intake: the stored results, else computed from the answers."""
    rows = db.session.scalars(select(MeasureResult).where(
        MeasureResult.client_id == client.id, MeasureResult.source == Source.INTAKE)
        .order_by(MeasureResult.taken_at, MeasureResult.id)).all()
    latest = {row.instrument: row for row in rows}
    answers = intake.answers("measures") if intake else {}
    scores = []
    for scale in SCALES.values():
        if scale.key in latest:
            row = latest[scale.key]
            scores.append(IntakeScore(scale.key, scale.name, row.total, scale.max_score, row.band,
                                      row.item9_positive, True))
            continue
        try:
            s = score(scale.key, items_from(answers, scale.key))
        except (KeyError, TypeError, ValueError):
            continue  # not answered yet
        scores.append(IntakeScore(scale.key, scale.name, s.total, scale.max_score, s.band,
                                  s.item9_positive, False))
    return scores


def intake_of(client):
    """The client's intake, or None when they have not started it."""
    return services.intake_for(client, create=False)


def review(client, intake):
    """Everything the review page shows of the client and their intake (None: not started)."""
    signatures = db.session.scalars(select(ConsentSignature).where(
        ConsentSignature.client_id == client.id).order_by(ConsentSignature.signed_at)).all()
    amendments = [] if intake is None else db.session.scalars(select(AmendmentRequest).where(
        AmendmentRequest.intake_id == intake.id, AmendmentRequest.resolved_at.is_(None))
        .order_by(AmendmentRequest.created_at)).all()
    answers = {} if intake is None else {
        s: services.form_for(s, intake) for s in ANSWER_STEPS if intake.step(s) is not None}
    return {"intake": intake, "flag_groups": flag_groups(client, intake),
            "scores": intake_scores(client, intake), "steps": ANSWER_STEPS,
            "titles": STEP_TITLES, "answers": answers, "signatures": signatures,
            "unsigned": unsigned_current(client.id), "amendments": amendments}
