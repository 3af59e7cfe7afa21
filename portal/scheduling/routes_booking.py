"""Client pages: my sessions, booking (type → week of free times → confirm), rescheduling and
cancelling (clients and their therapists), and the dosing-day readiness questions.

Times are stored in UTC and shown in the viewer's zone. The services decide: gates.refusal,
slots.free_slots and services.book/reschedule/cancel; these views only turn their answers and
refusals into pages (403 with the reason, 409 with the nearest free times, 400 for a bad time).
"""
import logging
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.core.time import viewer_zone
from portal.core.vocabulary import AppointmentStatus, Role, SessionKind, arc_position
from portal.extensions import db, socketio
from portal.models.schedule import Appointment, DosingReadiness, SessionType
from portal.scheduling import gates, services, slots
from portal.scheduling.blueprint import bp
from portal.scheduling.forms import (
    BookForm,
    iso_utc,
    parse_start,
    parse_week,
    week_bounds,
)
from portal.security.access import role_required

log = logging.getLogger(__name__)

PEOPLE = (Role.CLIENT, Role.THERAPIST, Role.ADMIN)
BOOKED = AppointmentStatus.BOOKED.value
JOIN_EARLY = timedelta(minutes=10)
READINESS_OPENS = timedelta(hours=48)


# --- pages shared by several views ----------------------------------------------------------
def message_page(status, title, text, times=(), link_for=None):
    """A short page for a refusal or a problem: 400, 403 or 409, with free times as links."""
    return render_template("scheduling/message.html", title=title, text=text, times=times,
                           link_for=link_for, code=status), status


def bad_start():
    return message_page(400, "We could not read that time",
                        "The link or form did not carry a time we understand. Please go back "
                        "and choose a time from the list.")


def refused(reason):
    return message_page(403, "This session cannot be booked yet", reason)


def taken(session_type, nearest, appointment=None):
    return message_page(409, "This time was just taken",
                        "Someone booked this time a moment ago. Here are the nearest free times.",
                        times=nearest, link_for=slot_link(session_type, appointment))


def contact_page(status=200):
    hours = current_app.config.get("CANCELLATION_WINDOW_HOURS", 24)
    return render_template("scheduling/contact.html", hours=hours), status


def zoned(instant, zone_name):
    """A UTC instant in a named zone, in the format of the `local_time` template global."""
    local = instant.astimezone(ZoneInfo(zone_name))
    return f"{local.strftime('%a %d %b %Y, %-I:%M %p')} {local.tzname()}"


def slot_link(session_type, appointment=None):
    if appointment is not None:
        return lambda s: url_for("scheduling.reschedule", appointment_id=appointment.id,
                                 start=iso_utc(s))
    return lambda s: url_for("scheduling.confirm", type_id=session_type.id, start=iso_utc(s))


def week_of_slots(session_type, zone, ignore_id=None):
    """The free times of the week asked for (?week=), grouped by day in `zone`."""
    today = datetime.now(zone).date()
    first = parse_week(request.args.get("week"), today)
    start, end = week_bounds(first, zone)
    found = slots.free_slots(session_type, start, end, ignore_id=ignore_id)
    days = [(first + timedelta(days=i), []) for i in range(7)]
    for slot in found:
        days[(slot.astimezone(zone).date() - first).days][1].append(slot)
    return {"days": days, "first": first,
            "previous": first - timedelta(days=7) if first > today else None,
            "next": first + timedelta(days=7)
            if first + timedelta(days=7) <= today + timedelta(days=session_type.horizon_days)
            else None, "empty": not found}


def announce(appointment, action):
    """After the commit: emails to both people, and the therapist's live dashboard on services."""
    from portal.notifications.appointments import send_appointment_emails
    send_appointment_emails(appointment, action)
    if action != "booked":
        return
    try:
        socketio.emit("appointment_booked", {"appointment_id": appointment.id},
                      namespace="/notify", to=f"user-{appointment.therapist_id}")
    except Exception as exc:  # the booking is committed: a lost live notice is no error page
        log.error("live notice failed appointment=%s error=%s", appointment.id,
                  type(exc).__name__)


def after_change_url():
    if current_user.is_client:
        return url_for("scheduling.appointments")
    return url_for("workspace.calendar")


# --- my sessions ----------------------------------------------------------------------------
def appointment_state(appointment, now, readiness_ids):
    """What the client can do with one appointment now."""
    booked = appointment.status == BOOKED
    return {
        "can_join": booked and appointment.is_video
        and appointment.starts_at - JOIN_EARLY <= now < appointment.ends_at,
        "can_change": booked and appointment.starts_at - now >= services.policy_window(),
        "readiness_open": booked and appointment.kind == SessionKind.DOSING.value
        and appointment.starts_at - READINESS_OPENS <= now < appointment.starts_at,
        "readiness_done": appointment.id in readiness_ids,
    }


@bp.get("/appointments")
@role_required(Role.CLIENT)
def appointments():
    """Clients: their upcoming and past sessions, with join, reschedule and cancel."""
    now = datetime.now(UTC)
    rows = db.session.scalars(select(Appointment).where(
        Appointment.client_id == current_user.id).order_by(Appointment.starts_at)).all()
    upcoming = [a for a in rows if a.status == BOOKED and a.ends_at > now]
    past = [a for a in reversed(rows) if not (a.status == BOOKED and a.ends_at > now)]
    readiness_ids = set(db.session.scalars(select(DosingReadiness.appointment_id).where(
        DosingReadiness.appointment_id.in_([a.id for a in upcoming]))))
    return render_template("scheduling/appointments.html", upcoming=upcoming, past=past,
                           state={a.id: appointment_state(a, now, readiness_ids) for a in upcoming},
                           phone=current_app.config["PRACTICE_PHONE"])


# --- booking --------------------------------------------------------------------------------
def offered_types():
    """The active session types of the client's therapist, in the order of the arc of care."""
    therapist = current_user.therapist
    if therapist is None:
        return []
    try:
        with db.session.begin_nested():
            services.ensure_default_types(therapist)
    except IntegrityError:  # another request created them at the same moment
        pass
    db.session.commit()
    types = db.session.scalars(select(SessionType).where(
        SessionType.therapist_id == therapist.id, SessionType.active.is_(True))).all()
    return sorted(types, key=lambda t: arc_position(t.kind))


def offered_type(type_id):
    """A session type of the client's own therapist; 404 for anyone else's."""
    session_type = db.session.get(SessionType, type_id)
    if session_type is None or session_type.therapist_id != current_user.therapist_id:
        abort(404)
    return session_type


def suggested_after_dosing(session_type, now):
    """Integration times 24–72 h after the client's latest booked or completed dosing session."""
    if session_type.kind != SessionKind.INTEGRATION.value:
        return None, []
    dosing = db.session.scalars(select(Appointment).where(
        Appointment.client_id == current_user.id, Appointment.kind == SessionKind.DOSING.value,
        Appointment.status.in_([BOOKED, AppointmentStatus.COMPLETED.value]),
        Appointment.ends_at > now - timedelta(hours=72))
        .order_by(Appointment.starts_at.desc()).limit(1)).first()
    if dosing is None:
        return None, []
    return dosing, slots.free_slots(session_type, dosing.ends_at + timedelta(hours=24),
                                    dosing.ends_at + timedelta(hours=72))


@bp.get("/book")
@role_required(Role.CLIENT)
def book():
    """Clients: the kinds of session they can book, or in plain words why not yet (paused or
    discharged clients: the practice's contact and crisis resources instead)."""
    if not current_user.in_care:
        return render_template("scheduling/book.html", options=[], therapist=current_user.therapist,
                               not_in_care=gates.not_in_care(current_user),
                               phone=current_app.config.get("PRACTICE_PHONE"))
    options = [(t, gates.refusal(current_user, t)) for t in offered_types()]
    return render_template("scheduling/book.html", options=options,
                           therapist=current_user.therapist, not_in_care=None)


@bp.get("/book/<int:type_id>")
@role_required(Role.CLIENT)
def choose_time(type_id):
    """Clients: one week of free times for a session type, in their own time zone."""
    session_type = offered_type(type_id)
    reason = gates.refusal(current_user, session_type)
    if reason:
        return refused(reason)
    dosing, suggested = suggested_after_dosing(session_type, datetime.now(UTC))
    return render_template("scheduling/slots.html", session_type=session_type,
                           week=week_of_slots(session_type, viewer_zone()), dosing=dosing,
                           suggested=suggested, link_for=slot_link(session_type))


@bp.get("/book/<int:type_id>/confirm")
@role_required(Role.CLIENT)
def confirm(type_id):
    """Clients: check the chosen time (theirs and the therapist's) or place, then book."""
    session_type = offered_type(type_id)
    start = parse_start(request.args.get("start"))
    if start is None:
        return bad_start()
    reason = gates.refusal(current_user, session_type)
    if reason:
        return refused(reason)
    if not slots.is_free(session_type, start):
        return taken(session_type, slots.nearest_free(session_type, start))
    form = BookForm(start=iso_utc(start), idempotency_key=uuid.uuid4().hex)
    return render_template("scheduling/confirm.html", session_type=session_type, start=start,
                           form=form, therapist=session_type.therapist, zoned=zoned,
                           action=url_for("scheduling.book_session", type_id=type_id))


@bp.post("/book/<int:type_id>")
@role_required(Role.CLIENT)
def book_session(type_id):
    """Clients: book the confirmed time; a repeated submit returns the same services."""
    session_type = offered_type(type_id)
    form = BookForm()
    start = parse_start(form.start.data)
    if not form.validate_on_submit() or start is None:
        return bad_start()
    now = datetime.now(UTC)
    try:
        appointment = services.book(current_user, session_type, start,
                                   form.idempotency_key.data, now=now)
    except services.GateRefused as exc:
        db.session.commit()  # keeps the audit record of the refusal
        return refused(str(exc))
    except services.SlotTaken as exc:
        db.session.rollback()
        return taken(session_type, exc.nearest)
    is_new = appointment.created_at == now  # False for a repeated submit of the same form
    db.session.commit()
    if is_new:
        announce(appointment, "booked")
    flash(f"Your {session_type.name.lower()} is booked. A confirmation email is on its way.",
          "success")
    return redirect(url_for("scheduling.appointments"))


# --- reschedule and cancel (the client, or their therapist) ---------------------------------
