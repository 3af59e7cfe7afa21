"""One client's record for their therapist: the client page (arc of care, intake, consents,
measures, appointments, notes, shared journal, post-dosing check-ins) with the form to pause,
discharge or resume their care; the shared journal in full; the scores over time.

An admin sees another therapist's client only under an active break-glass grant, read-only;
every open is audited.
"""
from datetime import UTC, datetime

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from portal.core import chart
from portal.core.vocabulary import CLINICIANS, CareStatus
from portal.extensions import db
from portal.security.access import role_required
from portal.security.audit import record
from portal.workspace import queries_record, services, services_measures
from portal.workspace.blueprint import bp
from portal.workspace.forms import CareStatusForm
from portal.workspace.forms_measures import MeasureScheduleForm
from portal.workspace.queries import own_client

CARE_FLASH = {
    CareStatus.ACTIVE: "{name}'s care is active again. They can book sessions.",
    CareStatus.PAUSED: "{name}'s care is paused. They cannot book new sessions; sessions already "
                       "booked stay as they are until you change them.",
    CareStatus.DISCHARGED: "{name} is discharged. They cannot book new sessions; sessions already "
                           "booked stay as they are until you change them.",
}


def render_client(client, form=None, status=200):
    """The client page (audited as one `client_page_viewed` row per render)."""
    record("client_page_viewed", actor=current_user, obj=("user", client.id))
    db.session.commit()  # before loading: a commit would expire every row the page shows
    data = queries_record.load_record(client)
    upcoming, past = queries_record.visits_by_time(data["visits"], datetime.now(UTC))
    if form is None:
        form = CareStatusForm(formdata=None)
        form.status.data = client.care_status
    return render_template(
        "workspace/client.html", client=client, data=data,
        events=queries_record.timeline(client, data), upcoming=upcoming, past=past,
        notes=[v for v in data["visits"] if v.note_id is not None],
        series=queries_record.measure_series(
            data["measures"], id_prefix="client",
            marks=queries_record.dosing_dates(data["dosings"])), form=form,
        can_change=client.therapist_id == current_user.id,
        checkin_summary=queries_record.checkin_summary,
        phone=current_app.config.get("PRACTICE_PHONE")), status


@bp.get("/clients/<int:client_id>")
@role_required(*CLINICIANS)
def client_page(client_id):
    """Therapists: one client's arc of care and record (admins: read-only under break-glass)."""
    return render_client(own_client(current_user, client_id))


@bp.post("/clients/<int:client_id>/care-status")
@role_required(*CLINICIANS)
def change_care_status(client_id):
    """The client's own therapist: pause, discharge or resume their care, with a reason."""
    client = own_client(current_user, client_id, write=True)
    form = CareStatusForm()
    valid = form.validate_on_submit()
    if valid and form.status.data == client.care_status:
        form.status.errors.append("This is already the client's care status.")
        valid = False
    if not valid:
        return render_client(client, form=form, status=400)
    new = services.change_care_status(client, form.status.data, form.reason.data, current_user)
    db.session.commit()
    flash(CARE_FLASH[new].format(name=client.name), "success")
    return redirect(url_for("workspace.client_page", client_id=client.id, _anchor="care"))


@bp.get("/clients/<int:client_id>/journal")
@role_required(*CLINICIANS)
def client_journal(client_id):
    """Therapists: the entries their client chose to share (private entries never load)."""
    client = own_client(current_user, client_id)
    record("journal_viewed", actor=current_user, obj=("user", client.id))
    db.session.commit()  # before loading: a commit would expire every row the page shows
    return render_template("workspace/journal.html", client=client,
                           entries=queries_record.shared_journal(client))


@bp.get("/clients/<int:client_id>/measures")
@role_required(*CLINICIANS)
def measures_over_time(client_id):
    """Therapists: a client's PHQ-9, GAD-7 and PCL-5 totals over time, as charts and tables,
    with their measure schedule."""
    client = own_client(current_user, client_id)
    record("measures_viewed", actor=current_user, obj=("user", client.id))
    db.session.commit()  # before loading: a commit would expire every row the page shows
    return render_measures(client)


def render_measures(client, form=None, status=200):
    """The scores page with the schedule form (the caller audited the viewing)."""
    schedule = queries_record.measure_schedule(client)
    form = form or MeasureScheduleForm(formdata=None).fill(schedule)
    series = queries_record.measure_series(queries_record.measures_of(client), marks=(
        queries_record.dosing_dates(queries_record.dosing_records(client))))
    return render_template("workspace/measures.html", client=client, series=series,
                           threshold=chart.CHANGE_THRESHOLD, form=form, schedule=schedule,
                           can_change=client.therapist_id == current_user.id), status


@bp.post("/clients/<int:client_id>/measures/schedule")
@role_required(*CLINICIANS)
def save_measure_schedule(client_id):
    """The client's own therapist: which questionnaires the client is asked, and when."""
    client = own_client(current_user, client_id, write=True)
    form = MeasureScheduleForm()
    if not form.validate_on_submit():
        return render_measures(client, form=form, status=400)
    saved = services_measures.save_schedule(client, form, current_user)
    db.session.commit()
    flash("The schedule is saved. Reminders go out by email, with no health details."
          if saved else "The schedule is off.", "success")
    return redirect(url_for("workspace.measures_over_time", client_id=client.id,
                            _anchor="schedule"))
