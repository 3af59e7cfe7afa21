"""The therapist books a session for their own client at any free time of theirs: the session
types with the gates' answers, a week of free times, and a confirm page that asks for a reason
when a gate of the arc would refuse the client. Nothing overrides a final refusal (an open
suicide-risk flag before dosing; dosing not in person).

The booking, the override and their audit records are portal.scheduling.services.book's; both
people are emailed as for any booking (the appointment_changed signal).
"""
import uuid
from datetime import UTC, datetime

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.core.time import viewer_zone
from portal.core.vocabulary import CLINICIANS
from portal.extensions import db
from portal.scheduling import services as scheduling
from portal.scheduling import slots
from portal.scheduling.forms import iso_utc, parse_start
from portal.security.access import role_required
from portal.workspace import queries_booking
from portal.workspace.blueprint import bp
from portal.workspace.forms_calendar import BookForClientForm
from portal.workspace.queries import own_client

BAD_TIME = "The link or form did not carry a time we understand. Please choose a time again."
REASON_NEEDED = ("Please give your reason for booking this session although the client could "
                 "not book it themselves.")


def _client_and_type(client_id, type_id):
    client = own_client(current_user, client_id, write=True)
    return client, queries_booking.own_type(current_user, type_id)


def _link_for(client, session_type):
    return lambda s: url_for("workspace.book_for_client_confirm", client_id=client.id,
                             type_id=session_type.id, start=iso_utc(s))


def _page(client, status=200, problem=None, session_type=None, times=()):
    """The session types with the gates' answers, and a problem at the top if any."""
    scheduling.ensure_default_types(current_user)  # a therapist's first visit
    db.session.commit()
    return render_template(
        "workspace/book_for_client.html", client=client, problem=problem, times=times,
        options=queries_booking.options(client, current_user),
        link_for=_link_for(client, session_type) if session_type else None), status


def _confirm(client, session_type, start, form, status=200):
    refusal, final = queries_booking.gate_of(client, session_type)
    if final:
        return _page(client, 403, final)
    return render_template("workspace/book_for_client_confirm.html", client=client,
                           session_type=session_type, start=start, form=form,
                           refusal=refusal), status


@bp.get("/clients/<int:client_id>/book")
@role_required(*CLINICIANS)
def book_for_client(client_id):
    """Therapists: the kinds of session they can book for their client, each with what the
    arc's gates say (open, a reason to override, or closed to everyone)."""
    return _page(own_client(current_user, client_id, write=True))


@bp.get("/clients/<int:client_id>/book/<int:type_id>")
@role_required(*CLINICIANS)
def book_for_client_times(client_id, type_id):
    """Therapists: a week of their free times for one kind of session for their client."""
    client, session_type = _client_and_type(client_id, type_id)
    refusal, final = queries_booking.gate_of(client, session_type)
    if final:
        return _page(client, 403, final)
    return render_template(
        "workspace/book_for_client_times.html", client=client, session_type=session_type,
        refusal=refusal, link_for=_link_for(client, session_type),
        week=queries_booking.week(session_type, viewer_zone(), request.args.get("week")))


@bp.get("/clients/<int:client_id>/book/<int:type_id>/confirm")
@role_required(*CLINICIANS)
def book_for_client_confirm(client_id, type_id):
    """Therapists: check the chosen time (theirs and the client's), give a reason if a gate
    would refuse the client, and book."""
    client, session_type = _client_and_type(client_id, type_id)
    start = parse_start(request.args.get("start"))
    if start is None:
        return _page(client, 400, BAD_TIME)
    if not slots.is_free(session_type, start, limits=False):
        return _page(client, 409, "This time is not free any more. Here are the nearest free "
                     "times.", session_type, slots.nearest_free(session_type, start, limits=False))
    form = BookForClientForm(start=iso_utc(start), idempotency_key=uuid.uuid4().hex)
    return _confirm(client, session_type, start, form)


@bp.post("/clients/<int:client_id>/book/<int:type_id>")
@role_required(*CLINICIANS)
def book_for_client_session(client_id, type_id):
    """Therapists: book the confirmed time for their client (a gate overridden only with a
    reason, kept and audited); a repeated submit returns the same booking."""
    client, session_type = _client_and_type(client_id, type_id)
    form = BookForClientForm()
    start = parse_start(form.start.data)
    if not form.validate_on_submit() or start is None:
        if start is None or form.start.errors or form.idempotency_key.errors:
            return _page(client, 400, BAD_TIME)
        return _confirm(client, session_type, start, form, 400)
    now = datetime.now(UTC)
    try:
        appointment = scheduling.book(client, session_type, start, form.idempotency_key.data,
                                      now=now, by=current_user, override=form.override_reason.data)
    except scheduling.ReasonNeeded:
        db.session.rollback()
        form.override_reason.errors.append(REASON_NEEDED)
        return _confirm(client, session_type, start, form, 400)
    except scheduling.GateRefused as exc:
        db.session.commit()  # keeps the audit record of the refusal
        return _page(client, 403, str(exc))
    except scheduling.SlotTaken as exc:
        db.session.rollback()
        return _page(client, 409, str(exc), session_type, exc.nearest)
    except scheduling.BookingError as exc:
        db.session.rollback()
        return _page(client, 400, str(exc))
    if appointment.created_at == now:  # False for a repeated submit of the same form
        scheduling.commit_change(appointment, "booked")
    else:
        db.session.commit()
    flash(f"{session_type.name} booked for {client.name}. You both get a confirmation email.",
          "success")
    return redirect(url_for("workspace.client_page", client_id=client.id, _anchor="appointments"))
