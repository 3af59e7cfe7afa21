"""Whose records a clinician may open in the workspace: the ownership checks every page of a
client or of a session note starts with.

A clinician sees only their own clients; an admin sees another therapist's client only under an
active break-glass grant, read-only, and each such read is audited. Anything else gives 404, so
that ids of other people's records cannot be probed.
"""
from flask import abort, request

from portal.core.vocabulary import SessionKind
from portal.extensions import db
from portal.models.breakglass import BreakGlassGrant
from portal.models.notes import SessionNote
from portal.models.schedule import Appointment
from portal.models.user import User
from portal.security.audit import record


def own_client(user, client_id, write=False):
    """The client with this id if they are `user`'s client; else 404.

    An admin who is not the client's therapist may read (never write) under an active
    break-glass grant; each such read is audited with outcome "break_glass".
    """
    client = db.session.get(User, client_id)
    if client is None or not client.is_client:
        abort(404)
    if client.therapist_id == user.id:
        return client
    grants = [] if write or not user.is_admin else BreakGlassGrant.active_for(user.id, client.id)
    if not grants:
        abort(404)
    record("break_glass_read", actor=user, obj=("user", client.id),
           outcome="break_glass", detail=f"grant {grants[0].id} {request.endpoint}")
    return client


def note_appointment(user, appointment_id, write=False):
    """The appointment whose session note `user` may open: their own session; for reading
    only, also a session of a client they may read (own_client checks and audits it)."""
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or appointment.kind not in {k.value for k in SessionKind}:
        abort(404)
    if appointment.therapist_id != user.id:
        if write:
            abort(404)
        own_client(user, appointment.client_id)
    return appointment


def note_of(appointment):
    """The session note of an appointment, or None when none is written yet."""
    return db.session.query(SessionNote).filter_by(appointment_id=appointment.id).one_or_none()
