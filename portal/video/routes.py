"""Video pages: the room of an appointment (waiting room + call) and the pre-call check."""
from datetime import UTC, datetime

from flask import current_app, redirect, render_template, url_for
from flask_login import current_user

from portal.core.vocabulary import Role
from portal.extensions import db
from portal.intake.services import intake_for
from portal.models.call import call_for
from portal.security.audit import record
from portal.video import access
from portal.video.blueprint import bp
from portal.video.forms import LocationForm


def _call(appointment):
    return call_for(appointment.id)


def _room_or_refusal(appointment_id):
    appointment = access.load(appointment_id)
    reason = access.refusal(current_user, appointment)
    if reason:
        record("call_refused", actor=current_user, obj=("appointment", appointment_id),
               outcome="failure")
        db.session.commit()
        return None, render_template("video/closed.html", reason=reason), 403
    return appointment, None, None


@bp.get("/sessions/<int:appointment_id>")
def room(appointment_id):
    """The two participants of a video appointment: waiting room and call (others: a clear page)."""
    appointment, page, status = _room_or_refusal(appointment_id)
    if appointment is None:
        return page, status
    role = access.role_in(current_user, appointment)
    call = _call(appointment)
    if role == Role.CLIENT and call.location_confirmed_at is None:
        db.session.commit()
        return redirect(url_for("video.confirm_location", appointment_id=appointment.id))
    record("call_page_opened", actor=current_user, obj=("appointment", appointment.id))
    safety = None
    if role == Role.THERAPIST:
        safety = _safety_panel(appointment, call)
    db.session.commit()
    return render_template("video/room.html", appointment=appointment, role=role,
                           safety=safety, client=appointment.client,
                           therapist=appointment.therapist)


def _safety_panel(appointment, call):
    """What the therapist needs if something goes wrong: where the client is, how to reach
    them, their emergency contact (from the intake) and the local emergency number."""
    intake = intake_for(appointment.client, create=False)
    about = intake.answers("about") if intake else {}
    record("safety_panel_viewed", actor=current_user, obj=("appointment", appointment.id))
    return {"location": call.client_location, "phone": call.client_phone,
            "emergency_name": about.get("emergency_name"),
            "emergency_relation": about.get("emergency_relation"),
            "emergency_phone": about.get("emergency_phone"), "emergency_number": "911"}


@bp.route("/sessions/<int:appointment_id>/location", methods=["GET", "POST"])
def confirm_location(appointment_id):
    """The client, before entering: confirm where they are and a phone number for this session."""
    appointment, page, status = _room_or_refusal(appointment_id)
    if appointment is None:
        return page, status
    if access.role_in(current_user, appointment) != Role.CLIENT:
        return redirect(url_for("video.room", appointment_id=appointment.id))
    call = _call(appointment)
    form = LocationForm(location=call.client_location, phone=call.client_phone)
    if form.validate_on_submit():
        call.client_location, call.client_phone = form.location.data, form.phone.data
        call.location_confirmed_at = datetime.now(UTC)
        record("call_location_confirmed", actor=current_user, obj=("appointment", appointment.id))
        db.session.commit()
        return redirect(url_for("video.room", appointment_id=appointment.id))
    db.session.commit()
    return render_template("video/location.html", form=form, appointment=appointment), \
        400 if form.is_submitted() else 200


@bp.get("/precheck")
def precheck_page():
    """Any signed-in user: camera and microphone preview, then a connection test (echo)."""
    return render_template("video/precheck.html",
                           max_seconds=current_app.config["PRECHECK_MAX_SECONDS"])
