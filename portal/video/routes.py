"""Video pages: the room of an appointment (waiting room + call), the client's location step,
the pre-call check, and the therapist's waiting count (JSON for every page's badge)."""
from datetime import UTC, datetime

from flask import current_app, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.core.emergency import emergency_for
from portal.core.vocabulary import CLINICIANS, Role
from portal.extensions import db
from portal.models.call import Call, call_for
from portal.models.schedule import Appointment
from portal.security.access import role_required
from portal.security.audit import record
from portal.video import access, queries, safety
from portal.video.blueprint import bp
from portal.video.forms import LocationForm


def _call(appointment):
    return call_for(appointment.id)


def _refusal(appointment_id, appointment):
    """The page saying why the current user may not be in this room now (audited), or None."""
    reason = access.refusal(current_user, appointment)
    if not reason:
        return None
    record("call_refused", actor=current_user, obj=("appointment", appointment_id),
           outcome="failure")
    db.session.commit()
    return render_template("video/closed.html", reason=reason), 403


def _room_or_refusal(appointment_id):
    appointment = access.load(appointment_id)
    return appointment, _refusal(appointment_id, appointment)


def _with_call(appointment_id):
    """The appointment with both people and its call (None before its first use), in one query:
    the room page names them and starts from the call's state."""
    try:
        row = db.session.execute(
            select(Appointment, Call).outerjoin(Call, Call.appointment_id == Appointment.id)
            .options(joinedload(Appointment.client), joinedload(Appointment.therapist))
            .where(Appointment.id == appointment_id)).first()
    except OverflowError:  # an id beyond any integer column (as access.load)
        row = None
    return (row[0], row[1]) if row else (None, None)


@bp.get("/sessions/<int:appointment_id>")
def room(appointment_id):
    """The two participants of a video appointment: waiting room and call (others: a clear page)."""
    appointment, call = _with_call(appointment_id)
    refused = _refusal(appointment_id, appointment)
    if refused:
        return refused
    role = access.role_in(current_user, appointment)
    call = call or _call(appointment)
    if role == Role.CLIENT and not call.located:
        db.session.commit()
        return redirect(url_for("video.confirm_location", appointment_id=appointment.id))
    record("call_page_opened", actor=current_user, obj=("appointment", appointment.id))
    panel = None
    if role == Role.THERAPIST:
        panel = safety.prepare(appointment, call, current_user)
        # the first render's number (the live panel follows the `safety` event)
        panel["emergency_number"] = panel["emergency"]["primary"] or "your local emergency number"
    page = render_template("video/room.html", appointment=appointment, role=role,
                           safety=panel, client=appointment.client,
                           therapist=appointment.therapist, call=call,
                           emergency=emergency_for(call.client_country),
                           urls=_next_steps(appointment, role))
    db.session.commit()
    return page


def _next_steps(appointment, role):
    """Where the room's end screen leads: the note for the therapist, the check-in, journal
    or home for the client."""
    urls = {"home": url_for("main.home"),
            "location": url_for("video.confirm_location", appointment_id=appointment.id)}
    if role == Role.THERAPIST:
        urls["end"] = url_for("workspace.note", appointment_id=appointment.id)
    else:
        urls.update(end=url_for("care.checkin"), journal=url_for("care.journal"))
    return urls


@bp.route("/sessions/<int:appointment_id>/location", methods=["GET", "POST"])
def confirm_location(appointment_id):
    """The client, before entering: confirm where they are and a phone number for this session;
    the therapist's open room gets the new safety panel at once."""
    appointment, refused = _room_or_refusal(appointment_id)
    if refused:
        return refused
    if access.role_in(current_user, appointment) != Role.CLIENT:
        return redirect(url_for("video.room", appointment_id=appointment.id))
    call = _call(appointment)
    form = LocationForm(location=call.client_location, phone=call.client_phone,
                        country=call.client_country or "")
    if form.validate_on_submit():
        call.client_location, call.client_phone = form.location.data, form.phone.data
        call.client_country = form.country_code()
        call.location_confirmed_at = datetime.now(UTC)
        record("call_location_confirmed", actor=current_user, obj=("appointment", appointment.id))
        panel = safety.prepare(appointment, call, current_user, event="safety_panel_sent")
        db.session.commit()
        safety.send(panel)
        return redirect(url_for("video.room", appointment_id=appointment.id))
    db.session.commit()
    return render_template("video/location.html", form=form, appointment=appointment), \
        400 if form.is_submitted() else 200


@bp.get("/precheck")
def precheck_page():
    """Any signed-in user: camera and microphone preview, then a connection test (echo)."""
    return render_template("video/precheck.html",
                           max_seconds=current_app.config["PRECHECK_MAX_SECONDS"])


@bp.get("/video/waiting")
@role_required(*CLINICIANS)
def waiting():
    """Therapists' pages (JSON): how many of their clients wait in a room now, to start the nav
    badge and tab title; /notify's `waiting_changed` keeps them current."""
    people = queries.waiting_for(current_user.id)
    db.session.commit()
    return jsonify(count=len(people), waiting=people)
