"""One client's page for their therapist: the arc of care as a timeline, intake and review,
consents, measures, appointments, session notes, shared journal entries and post-dosing
check-ins; and the form to pause, discharge or resume their care.

Every open is audited (`client_page_viewed`). The page loads in a fixed number of queries
whatever the length of the client's history (one per kind of record, related rows joined).
Only shared journal entries are ever loaded.
"""
from datetime import UTC, datetime
from typing import NamedTuple

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from portal.core.measures import SCALES
from portal.core.time import viewer_zone
from portal.core.vocabulary import AppointmentStatus, CareStatus, Role
from portal.extensions import db
from portal.models.care import CareStatusChange, PostDosingCheckin
from portal.models.consent import ConsentDocument, ConsentSignature
from portal.models.intake import Intake
from portal.models.journal import JournalEntry
from portal.models.measure import MeasureResult
from portal.models.notes import SessionNote
from portal.models.schedule import Appointment
from portal.security.access import role_required
from portal.security.audit import record
from portal.workspace import chart
from portal.workspace.blueprint import bp
from portal.workspace.forms_care import CareStatusForm
from portal.workspace.routes_review import own_client

CLINICIANS = (Role.THERAPIST, Role.ADMIN)
KIND_LABELS = {"consultation": "Consultation", "preparation": "Preparation session",
               "dosing": "Dosing session", "integration": "Integration session"}
STATUS_LABELS = {"booked": "Booked", "completed": "Completed", "no_show": "Did not attend",
                 "cancelled": "Cancelled"}
CARE_WORDS = {"active": "Care resumed", "paused": "Care paused", "discharged": "Discharged"}
CARE_FLASH = {
    "active": "{name}'s care is active again. They can book sessions.",
    "paused": "{name}'s care is paused. They cannot book new sessions; sessions already booked "
              "stay as they are until you change them.",
    "discharged": "{name} is discharged. They cannot book new sessions; sessions already booked "
                  "stay as they are until you change them.",
}
SIDE_EFFECTS = {"nausea": "nausea", "headache": "headache", "dissociation": "lingering dissociation",
                "other": "something else"}


class Event(NamedTuple):
    """One step of the arc of care on the timeline."""

    when: datetime
    title: str
    detail: str
    kind: str  # account | appointment | intake | decision | care


class Visit(NamedTuple):
    appointment: Appointment
    note_id: int | None
    note_status: str | None


def load_record(client):
    """Everything the page shows, one query per kind of record."""
    intake = db.session.scalar(select(Intake).where(Intake.client_id == client.id)
                               .options(selectinload(Intake.decisions)))
    visits = [Visit(a, note_id, status) for a, note_id, status in db.session.execute(
        select(Appointment, SessionNote.id, SessionNote.status)
        .outerjoin(SessionNote, SessionNote.appointment_id == Appointment.id)
        .where(Appointment.client_id == client.id)
        .order_by(Appointment.starts_at, Appointment.id))]
    signatures = db.session.scalars(
        select(ConsentSignature).options(joinedload(ConsentSignature.document))
        .where(ConsentSignature.client_id == client.id).order_by(ConsentSignature.signed_at)).all()
    signed = {s.document_id for s in signatures}
    changes = db.session.scalars(
        select(CareStatusChange).options(joinedload(CareStatusChange.changed_by))
        .where(CareStatusChange.client_id == client.id)
        .order_by(CareStatusChange.changed_at, CareStatusChange.id)).all()
    measures = db.session.scalars(select(MeasureResult).where(MeasureResult.client_id == client.id)
                                  .order_by(MeasureResult.taken_at, MeasureResult.id)).all()
    journal = db.session.scalars(select(JournalEntry).where(
        JournalEntry.client_id == client.id, JournalEntry.shared.is_(True))
        .order_by(JournalEntry.written_on.desc(), JournalEntry.id.desc())).all()
    checkins = db.session.scalars(
        select(PostDosingCheckin).options(joinedload(PostDosingCheckin.appointment))
        .where(PostDosingCheckin.client_id == client.id)
        .order_by(PostDosingCheckin.created_at.desc())).all()
    return {"intake": intake, "visits": visits, "signatures": signatures,
            "unsigned": [d for d in ConsentDocument.current() if d.id not in signed],
            "changes": changes, "measures": measures, "journal": journal, "checkins": checkins}


def timeline(client, data):
    """The arc of care, oldest first: account, sessions, intake, decisions, care changes."""
    events = [Event(client.created_at, "Account created", "", "account")]
    for visit in data["visits"]:
        a = visit.appointment
        if a.status != AppointmentStatus.CANCELLED.value:
            events.append(Event(a.starts_at, KIND_LABELS.get(a.kind, a.kind.capitalize()),
                                STATUS_LABELS.get(a.status, a.status), "appointment"))
    intake = data["intake"]
    if intake is not None and intake.submitted_at is not None:
        events.append(Event(intake.submitted_at, "Intake submitted", "", "intake"))
    for decision in intake.decisions if intake is not None else []:
        events.append(Event(decision.decided_at, "Review decision", decision.label, "decision"))
    for change in data["changes"]:
        events.append(Event(change.changed_at, CARE_WORDS.get(change.status, change.status),
                            change.reason or "", "care"))
    return sorted(events, key=lambda e: e.when)


def measure_series(measures):
    zone = viewer_zone()
    series = []
    for key, name in ((s.key, s.name) for s in SCALES.values()):
        rows = [m for m in measures if m.instrument == key]
        points = [(m.taken_at, m.total, m.item9_positive) for m in rows]
        series.append({"key": key, "name": name, "rows": rows,
                       "svg": chart.svg_chart(points, key, tz=zone, id_prefix=f"client-{key}")})
    return series


def checkin_summary(answers):
    """The post-dosing answers in a few plain words (for the care team)."""
    effects = [word for key, word in SIDE_EFFECTS.items() if answers.get(key)]
    return {"sleep": answers.get("sleep"), "mood": answers.get("mood"),
            "effects": effects, "item9": answers.get("phq9_9"),
            "worry": answers.get("worry_text") or ""}


def render_client(client, form=None, status=200):
    """The client page (audited as one `client_page_viewed` row per render)."""
    record("client_page_viewed", actor=current_user, obj=("user", client.id))
    db.session.commit()  # before loading: a commit would expire every row the page shows
    now = datetime.now(UTC)
    data = load_record(client)
    visits = data["visits"]
    upcoming = [v for v in visits if v.appointment.status == AppointmentStatus.BOOKED.value
                and v.appointment.ends_at > now]
    past = [v for v in reversed(visits) if v not in upcoming]
    if form is None:
        form = CareStatusForm(formdata=None)
        form.status.data = client.care_status
    return render_template(
        "workspace/client.html", client=client, data=data, events=timeline(client, data),
        upcoming=upcoming, past=past, notes=[v for v in visits if v.note_id is not None],
        series=measure_series(data["measures"]), form=form,
        can_change=client.therapist_id == current_user.id, kind_labels=KIND_LABELS,
        status_labels=STATUS_LABELS, checkin_summary=checkin_summary,
        phone=current_app.config.get("PRACTICE_PHONE")), status


@bp.get("/clients/<int:client_id>")
@role_required(*CLINICIANS)
def client_page(client_id):
    """Therapists: one client's arc of care and record (admins: read-only under break-glass)."""
    return render_client(own_client(client_id))


@bp.post("/clients/<int:client_id>/care-status")
@role_required(*CLINICIANS)
def change_care_status(client_id):
    """The client's own therapist: pause, discharge or resume their care, with a reason."""
    client = own_client(client_id, write=True)
    form = CareStatusForm()
    valid = form.validate_on_submit()
    if valid and form.status.data == client.care_status:
        form.status.errors.append("This is already the client's care status.")
        valid = False
    if not valid:
        return render_client(client, form=form, status=400)
    new = CareStatus(form.status.data).value
    db.session.add(CareStatusChange(client_id=client.id, status=new, reason=form.reason.data,
                                    changed_by_id=current_user.id))
    detail = f"{client.care_status}->{new}"
    client.care_status = new
    record("client_care_status_changed", actor=current_user, obj=("user", client.id),
           detail=detail)
    db.session.commit()
    flash(CARE_FLASH[new].format(name=client.name), "success")
    return redirect(url_for("workspace.client_page", client_id=client.id, _anchor="care"))
