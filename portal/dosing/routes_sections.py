"""The sections of the dosing record, saved one at a time from the page beside the client: a
vitals reading, the monitor, the override of the blood-pressure gate, the dose, observations and
the discharge checklist. The session's own therapist only; a signed record refuses them all
(409: add an addendum), and a dose above the gate without an override is refused (409, with
the reason next to the dose form)."""
from flask import flash, redirect, url_for
from flask_login import current_user

from portal.core.time import viewer_zone
from portal.core.vocabulary import CLINICIANS
from portal.dosing import queries, rules, services
from portal.dosing.blueprint import bp
from portal.dosing.forms import (
    DischargeForm,
    DoseForm,
    MonitorForm,
    ObservationsForm,
    OverrideForm,
    VitalsForm,
)
from portal.dosing.pages import LOCKED, render_record
from portal.extensions import db
from portal.models.dosing import RecordLocked
from portal.security.access import role_required


def on_the_day(appointment, clock_time):
    return rules.on_session_day(appointment.starts_at, clock_time, viewer_zone())


def save(appointment_id, key, form_class, write, done):
    """Validate one section's form, write it (with its audit row), and go back to it."""
    appointment = queries.dosing_appointment(current_user, appointment_id, write=True)
    form = form_class()
    if not form.validate_on_submit():
        return render_record(appointment, forms={key: form}, status=400)
    try:
        write(appointment, form)
    except RecordLocked:
        db.session.rollback()
        flash(LOCKED, "warning")
        return render_record(appointment, status=409)
    except services.DoseRefused as exc:
        db.session.commit()  # the refusal's audit row stays
        return render_record(appointment, forms={key: form}, errors={key: [str(exc)]},
                             status=409)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("dosing.record", appointment_id=appointment.id, _anchor=key))


@bp.post("/<int:appointment_id>/vitals")
@role_required(*CLINICIANS)
def add_vitals(appointment_id):
    """Therapists: add a reading (blood pressure, heart rate, SpO2, time) to the timeline."""
    return save(appointment_id, "vitals", VitalsForm, lambda a, form: services.add_vitals(
        a, form.values(on_the_day(a, form.taken_at.data)), current_user), "Reading added.")


@bp.post("/<int:appointment_id>/monitor")
@role_required(*CLINICIANS)
def save_monitor(appointment_id):
    """Therapists: name the monitor or chaperone who stays with the client."""
    return save(appointment_id, "monitor", MonitorForm, lambda a, form: services.save_monitor(
        a, form.monitor_name.data, current_user), "Monitor saved.")


@bp.post("/<int:appointment_id>/override")
@role_required(*CLINICIANS)
def record_override(appointment_id):
    """Therapists: a clinical override of a pre-dose blood pressure above the gate, with the
    reason; only when the latest pre-dose reading is above it."""
    return save(appointment_id, "override", OverrideForm, lambda a, form: (
        services.record_override(a, form.reason.data, current_user)),
        "Override recorded. The dose can now be recorded.")


@bp.post("/<int:appointment_id>/dose")
@role_required(*CLINICIANS)
def record_dose(appointment_id):
    """Therapists: the dose given; refused before a pre-dose reading, and above the blood-
    pressure gate unless an override with a reason was recorded."""
    return save(appointment_id, "dose", DoseForm, lambda a, form: services.record_dose(
        a, form.values(on_the_day(a, form.given_at.data)), current_user),
        "Dose recorded. The 40-minute check is timed from it.")


@bp.post("/<int:appointment_id>/observations")
@role_required(*CLINICIANS)
def save_observations(appointment_id):
    """Therapists: side effects seen and the 0-10 intensity rating."""
    return save(appointment_id, "observations", ObservationsForm, lambda a, form: (
        services.save_observations(a, form.values(), current_user)), "Observations saved.")


@bp.post("/<int:appointment_id>/discharge")
@role_required(*CLINICIANS)
def save_discharge(appointment_id):
    """Therapists: the discharge checklist (alert, vitals in range, ride and driver, next
    integration session)."""
    return save(appointment_id, "discharge", DischargeForm, lambda a, form: (
        services.save_discharge(a, form.values(), current_user)), "Discharge checklist saved.")
