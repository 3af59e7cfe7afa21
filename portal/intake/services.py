"""Intake workflows: drafts, saving and completing steps, consents, submission, amendment
requests, safety flags and measures; and the intake's reads its pages and the therapist's review
share (the client's intake, a step's form filled from its draft, the steps still missing).

Each write has its audit record; the caller commits once."""
import logging

from flask import current_app, request
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from portal.core import measures
from portal.core.measures import SCALES
from portal.core.time import utcnow
from portal.core.vocabulary import FlagKind, IntakeStatus, Source
from portal.extensions import db
from portal.intake import rules
from portal.intake.steps import STEP_FORMS, legal_name_in, next_step, previous_step
from portal.models.consent import ConsentSignature
from portal.models.intake import STEPS, AmendmentRequest, Intake, IntakeStep
from portal.models.measure import MeasureResult, SafetyFlag
from portal.models.user import User
from portal.notifications.email import queue_email
from portal.security.audit import record

log = logging.getLogger(__name__)

MAX_DRAFT_VALUE = 20_000  # far above any field's limit: a draft keeps what was typed
MAX_DRAFT_KEYS = 300


def intake_for(client, create=True):
    """The client's intake, started (and audited) on first use unless `create` is False."""
    intake = db.session.scalar(select(Intake).where(Intake.client_id == client.id))
    if intake is None and create:
        intake = Intake(client=client)
        db.session.add(intake)
        db.session.flush()
        record("intake_started", actor=client, obj=("intake", intake.id))
    return intake


def draft_from(formdata, step):
    """The step's submitted values, unvalidated, as a flat dict: what a draft keeps.

    Only the step's own field names are kept (no CSRF token, no stray keys); each value is a
    string cut at MAX_DRAFT_VALUE so a hostile request cannot store megabytes.
    """
    allowed = STEP_FORMS[step].field_prefixes()
    kept = {}
    for key in formdata.keys():
        if len(kept) >= MAX_DRAFT_KEYS or not isinstance(key, str) or len(key) > 64:
            continue
        if key in allowed or key.split("-", 1)[0] in allowed:
            value = formdata.get(key)
            kept[key] = value[:MAX_DRAFT_VALUE] if isinstance(value, str) else ""
    return kept


def _step_row(intake, step):
    row = intake.step(step)
    if row is None:
        row = IntakeStep(intake=intake, step=step, data={})
        db.session.add(row)
    return row


def save_draft(intake, step, data, complete=None):
    """Store a step's answers (possibly incomplete); audited as a PHI change."""
    if intake.submitted:
        raise PermissionError("submitted intakes are read-only")
    row = _step_row(intake, step)
    row.data = dict(data)
    if complete is not None:
        row.complete = complete
    row.updated_at = intake.updated_at = utcnow()
    record("intake_draft_saved" if not complete else "intake_step_completed",
           actor=intake.client, obj=("intake", intake.id), detail=f"step={step}")


def form_for(step, intake, formdata=None):
    """The step's form filled from the request, or else from the saved draft."""
    form_class = STEP_FORMS[step]
    if formdata is None:
        saved = intake.answers(step)
        formdata = MultiDict(saved) if saved else None
        return form_class.build(intake, formdata=formdata, prefill=not saved)
    return form_class.build(intake, formdata=formdata, prefill=False)


def review_forms(intake):
    """The saved steps' forms, filled, for the review page (consents are shown apart)."""
    return {step: form_for(step, intake) for step in STEPS
            if step != "consents" and intake.step(step) is not None}


def save_step(intake, step, action, formdata):
    """The client pressed `action` on a step: "next" completes a valid step and moves on; any
    other button (or an invalid "next") keeps what was typed as a draft, and the step stays done
    when its answers are still valid. Returns (the form to show, completed?)."""
    form = form_for(step, intake, formdata=formdata)
    if action == "add_row" and step == "medications":
        form.medications.append_entry()
    if action == "next" and form.validate():
        complete_step(intake, step, form, formdata)
        return form, True
    # checked on a separate form so that Back or Save never shows errors
    still_valid = form_for(step, intake, formdata=formdata).validate()
    save_draft(intake, step, draft_from(formdata, step), complete=still_valid)
    going_back = action == "back" and previous_step(step)
    intake.current_step = previous_step(step) if going_back else step
    return form, False


def autosave(intake, step, formdata):
    """The browser's draft while the client types; the step looked at is where they resume."""
    save_draft(intake, step, draft_from(formdata, step))
    intake.current_step = step


def complete_step(intake, step, form, formdata):
    """A valid step: keep its answers, mark it complete, move the bookmark on."""
    save_draft(intake, step, draft_from(formdata, step), complete=True)
    if step == "measures":
        check_item9(intake.client, form.phq9_9.data, source=Source.INTAKE)
    if step == "consents":
        sign_consents(intake.client, form)
    intake.current_step = next_step(step) or step


def legal_name_of(client):
    """The client's legal name: as given in the intake, else the name on their account."""
    return legal_name_in(intake_for(client, create=False), client.name)


def sign_consents(client, form):
    """One signature per document of the form not signed yet by the client (audited)."""
    for document, name_field in form.signatures():
        exists = db.session.scalar(select(ConsentSignature).where(
            ConsentSignature.client_id == client.id, ConsentSignature.document_id == document.id))
        if exists is None:
            db.session.add(ConsentSignature(client_id=client.id, document_id=document.id,
                                            signed_name=name_field.data.strip(),
                                            ip=request.remote_addr))
            db.session.flush()
            record("consent_signed", actor=client, obj=("consent_document", document.id),
                   detail=f"{document.kind} v{document.version}")


def missing_steps(intake):
    done = intake.completed_steps()
    return [step for step in STEPS if step not in done]


def submit(intake):
    """Final submit: lock the intake, record scores and flags; True when item 9 was positive."""
    if intake.submitted or missing_steps(intake):
        return False
    answers = intake.answers("measures")
    now = utcnow()
    intake.status, intake.submitted_at = IntakeStatus.SUBMITTED.value, now
    item9 = False
    for instrument in SCALES:
        result = measures.score(instrument, measures.items_from(answers, instrument))
        store_measure(intake.client, result, measures.items_from(answers, instrument),
                      source=Source.INTAKE, difficulty=answers.get("phq9_difficulty"))
        item9 = item9 or result.item9_positive
    for flag in rules.evaluate(intake.all_answers()):
        db.session.add(SafetyFlag(client_id=intake.client_id, kind=FlagKind.CONTRAINDICATION,
                                  severity=flag.severity, code=flag.code, source=Source.INTAKE))
    record("intake_submitted", actor=intake.client, obj=("intake", intake.id))
    notify_therapist(intake.client, "intake_submitted")
    return item9


def request_amendment(intake, message):
    """The client asks for a change to their submitted intake; the therapist is told."""
    db.session.add(AmendmentRequest(intake_id=intake.id, message=message))
    record("amendment_requested", actor=intake.client, obj=("intake", intake.id))
    notify_therapist(intake.client, "amendment")


def store_measure(client, result, items, source, difficulty=None):
    data = {"items": items, "total": result.total, "band": result.band,
            "item9_positive": result.item9_positive}
    if difficulty not in (None, ""):
        data["difficulty"] = int(difficulty)
    row = MeasureResult(client_id=client.id, instrument=result.instrument, source=source,
                        result=data)
    db.session.add(row)
    db.session.flush()
    record("measure_recorded", actor=client, obj=("measure_result", row.id),
           detail=f"{result.instrument} {source}")
    return row


def check_item9(client, item9_value, source):
    """PHQ-9 item 9 above 0: urgent flag, therapist email (no PHI), audit. True if raised."""
    try:
        positive = int(item9_value) > 0
    except (TypeError, ValueError):
        return False
    if not positive:
        return False
    if source == "intake" and db.session.scalar(select(SafetyFlag.id).where(
            SafetyFlag.client_id == client.id, SafetyFlag.kind == FlagKind.ITEM9,
            SafetyFlag.source == Source.INTAKE, SafetyFlag.acknowledged_at.is_(None))):
        return True  # already raised for this intake and not yet seen
    value = int(item9_value)
    answer = measures.RESPONSES[value] if value < len(measures.RESPONSES) else str(value)
    flag = SafetyFlag(client_id=client.id, kind=FlagKind.ITEM9, severity="urgent",
                      code="phq9_item9", source=source, answer=answer)
    db.session.add(flag)
    db.session.flush()
    record("safety_flag_raised", actor=client, obj=("safety_flag", flag.id), detail="item9")
    notify_therapist(client, "urgent_flag")
    return True


def notify_therapist(client, template):
    """Email the client's therapist that something waits in the portal (never what it is)."""
    therapist = db.session.get(User, client.therapist_id) if client.therapist_id else None
    if therapist is None:
        log.warning("no therapist to notify client_id=%s", client.id)
        return
    subject = {"urgent_flag": "A client needs your attention",
               "intake_submitted": "An intake is ready for your review",
               "amendment": "A client sent a request in the portal"}[template]
    queue_email(therapist.email, subject, f"therapist_{template}",
                login_url=current_app.config["BASE_URL"].rstrip("/") + "/auth/login")
