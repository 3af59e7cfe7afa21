"""Changes to a booked session: reschedule, cancel, and the client's dosing-day readiness."""
from datetime import UTC, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.core.time import viewer_zone
from portal.core.vocabulary import PEOPLE, AppointmentStatus, Role, SessionKind
from portal.extensions import db
from portal.models.schedule import Appointment
from portal.scheduling import gates, queries, services
from portal.scheduling.blueprint import bp
from portal.scheduling.forms import CancelForm, ReadinessForm, RescheduleForm, iso_utc, parse_start
from portal.scheduling.pages import (
    after_change_url,
    bad_start,
    confirm_page,
    contact_page,
    message_page,
    refused,
    slot_link,
    taken,
)
from portal.security.access import get_or_404_for, role_required


def change_refusal(appointment, status):
    """A page instead of the change when the session is not booked or is too close for a client."""
    if appointment.status != AppointmentStatus.BOOKED:
        return message_page(409, "This session cannot be changed",
                            "This session is not booked any more.")
    if current_user.id == appointment.client_id and \
            appointment.starts_at - datetime.now(UTC) < gates.policy_window():
        return contact_page(status)
    return None


@bp.get("/appointments/<int:appointment_id>/reschedule")
@role_required(*PEOPLE)
def reschedule(appointment_id):
    """Client or therapist: pick a new time for a session; with ?start=, confirm that time."""
    appointment = get_or_404_for(current_user, Appointment, appointment_id)
    refusal = change_refusal(appointment, 200)
    if refusal:
        return refusal
    session_type = appointment.session_type
    reason = current_user.is_client and gates.refusal(current_user, session_type,
                                                      moving=appointment)
    if reason:
        return refused(reason)
    if "start" in request.args:
        start = parse_start(request.args["start"])
        if start is None:
            return bad_start()
        return confirm_page(session_type, start, RescheduleForm(start=iso_utc(start)),
                            url_for("scheduling.reschedule_session",
                                    appointment_id=appointment.id), appointment=appointment)
    return render_template("scheduling/slots.html", session_type=session_type,
                           appointment=appointment, link_for=slot_link(session_type, appointment),
                           week=queries.week_of_slots(session_type, viewer_zone(),
                                                      request.args.get("week"), appointment.id))


@bp.post("/appointments/<int:appointment_id>/reschedule")
@role_required(*PEOPLE)
def reschedule_session(appointment_id):
    """Client or therapist: move a session to the confirmed time (emails go to both)."""
    appointment = get_or_404_for(current_user, Appointment, appointment_id)
    form = RescheduleForm()
    start = parse_start(form.start.data)
    if not form.validate_on_submit() or start is None:
        return bad_start()
    if start != appointment.starts_at:  # a repeated submit changes nothing
        try:
            services.reschedule(appointment, start, by=current_user)
        except services.PolicyWindow:
            return contact_page(403)
        except services.GateRefused as exc:
            return refused(str(exc))
        except services.SlotTaken as exc:
            db.session.rollback()
            return taken(appointment.session_type, exc.nearest, appointment)
        except services.BookingError as exc:
            return message_page(409, "This session cannot be changed", str(exc))
        services.commit_change(appointment, "rescheduled")
    flash("The session was moved. An updated invitation is on its way by email.", "success")
    return redirect(after_change_url())


@bp.get("/appointments/<int:appointment_id>/cancel")
@role_required(*PEOPLE)
def cancel(appointment_id):
    """Client or therapist: confirm cancelling a session (therapists may add a message)."""
    appointment = get_or_404_for(current_user, Appointment, appointment_id)
    return change_refusal(appointment, 200) or render_template(
        "scheduling/cancel.html", appointment=appointment, form=CancelForm())


@bp.post("/appointments/<int:appointment_id>/cancel")
@role_required(*PEOPLE)
def cancel_session(appointment_id):
    """Client or therapist: cancel a session; its time is free again at once."""
    appointment = get_or_404_for(current_user, Appointment, appointment_id)
    form = CancelForm()
    if not form.validate_on_submit():
        return render_template("scheduling/cancel.html", appointment=appointment, form=form), 400
    message = None if current_user.is_client else form.message.data
    try:
        services.cancel(appointment, by=current_user, message=message)
    except services.PolicyWindow:
        return contact_page(403)
    except services.BookingError as exc:
        return message_page(409, "This session cannot be cancelled", str(exc))
    services.commit_change(appointment, "cancelled", message=message)
    flash("The session was cancelled. A confirmation is on its way by email.", "success")
    return redirect(after_change_url())


# --- dosing-day readiness -------------------------------------------------------------------
@bp.route("/appointments/<int:appointment_id>/readiness", methods=["GET", "POST"])
@role_required(Role.CLIENT)
def readiness(appointment_id):
    """Clients: before a dosing session, confirm fasting, the ride home, no alcohol or benzos."""
    appointment = get_or_404_for(current_user, Appointment, appointment_id)
    if appointment.kind != SessionKind.DOSING.value:
        abort(404)
    if not queries.appointment_state(appointment, datetime.now(UTC), set())["readiness_open"]:
        return message_page(403 if request.method == "POST" else 200,
                            "These questions are not open now",
                            "They open 48 hours before a booked dosing session and close when "
                            "it starts.")
    previous = queries.readiness_of(appointment)
    form = ReadinessForm(data=previous.answers if previous and request.method == "GET" else None)
    if form.validate_on_submit():
        services.save_readiness(appointment, form.answers(), by=current_user)
        services.commit_readiness(appointment)
        flash("Thank you. Your care team can see your answers.", "success")
        return redirect(url_for("scheduling.appointments"))
    return render_template("scheduling/readiness.html", appointment=appointment, form=form,
                           submitted=previous is not None), 400 if form.errors else 200
