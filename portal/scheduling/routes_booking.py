"""Client pages: my sessions, and booking (type → week of free times → confirm).

Times are stored in UTC and shown in the viewer's zone. The services decide: gates.refusal,
slots.free_slots and services.book; these views only turn their answers and refusals into pages
(403 with the reason, 409 with the nearest free times, 400 for a bad time; see pages.py).
Rescheduling, cancelling and the dosing-day questions are in routes_changes.py.
"""
import uuid
from datetime import UTC, datetime

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.core.time import viewer_zone
from portal.core.vocabulary import Role
from portal.extensions import db
from portal.scheduling import gates, queries, services, slots
from portal.scheduling.blueprint import bp
from portal.scheduling.forms import BookForm, iso_utc, parse_start
from portal.scheduling.pages import bad_start, confirm_page, refused, slot_link, taken
from portal.security.access import role_required


@bp.get("/appointments")
@role_required(Role.CLIENT)
def appointments():
    """Clients: their upcoming and past sessions, with join, reschedule and cancel."""
    return render_template("scheduling/appointments.html",
                           **queries.my_sessions(current_user, datetime.now(UTC)),
                           phone=current_app.config["PRACTICE_PHONE"])


@bp.get("/book")
@role_required(Role.CLIENT)
def book():
    """Clients: the kinds of session they can book, or in plain words why not yet (paused or
    discharged clients: the practice's contact and crisis resources instead)."""
    if not current_user.in_care:
        return render_template("scheduling/book.html", options=[], therapist=current_user.therapist,
                               not_in_care=gates.not_in_care(current_user),
                               phone=current_app.config.get("PRACTICE_PHONE"))
    if current_user.therapist is not None:
        services.ensure_default_types(current_user.therapist)  # a therapist's first client
        db.session.commit()
    options = [(t, gates.refusal(current_user, t)) for t in queries.offered_types(current_user)]
    return render_template("scheduling/book.html", options=options,
                           therapist=current_user.therapist, not_in_care=None)


@bp.get("/book/<int:type_id>")
@role_required(Role.CLIENT)
def choose_time(type_id):
    """Clients: one week of free times for a session type, in their own time zone."""
    session_type = queries.offered_type(current_user, type_id)
    reason = gates.refusal(current_user, session_type)
    if reason:
        return refused(reason)
    dosing, suggested = queries.suggested_after_dosing(current_user, session_type,
                                                       datetime.now(UTC))
    return render_template("scheduling/slots.html", session_type=session_type,
                           week=queries.week_of_slots(session_type, viewer_zone(),
                                                      request.args.get("week")),
                           dosing=dosing, suggested=suggested, link_for=slot_link(session_type))


@bp.get("/book/<int:type_id>/confirm")
@role_required(Role.CLIENT)
def confirm(type_id):
    """Clients: check the chosen time (theirs and the therapist's) or place, then book."""
    session_type = queries.offered_type(current_user, type_id)
    start = parse_start(request.args.get("start"))
    if start is None:
        return bad_start()
    reason = gates.refusal(current_user, session_type)
    if reason:
        return refused(reason)
    if not slots.is_free(session_type, start):
        return taken(session_type, slots.nearest_free(session_type, start))
    form = BookForm(start=iso_utc(start), idempotency_key=uuid.uuid4().hex)
    return confirm_page(session_type, start, form,
                        url_for("scheduling.book_session", type_id=type_id))


@bp.post("/book/<int:type_id>")
@role_required(Role.CLIENT)
def book_session(type_id):
    """Clients: book the confirmed time; a repeated submit returns the same booking."""
    session_type = queries.offered_type(current_user, type_id)
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
    if appointment.created_at == now:  # False for a repeated submit of the same form
        services.commit_change(appointment, "booked")
    else:
        db.session.commit()
    flash(f"Your {session_type.name.lower()} is booked. A confirmation email is on its way.",
          "success")
    return redirect(url_for("scheduling.appointments"))
