"""The relay events' authorisation, checked on every event without a database round trip each.

Signals, chat lines, media states and heartbeats come many per second during call setup. Each
one is checked against a grant this process took from the database at most REVALIDATE_SECONDS
ago: the same participant, the same appointment, still inside the grant's validity (the
appointment's closing time, the portal session's idle and absolute limits, compared with the
wall clock on every event). Older grants are taken again from the database (the full check that
join, admit, leave and end always run).

Changes reach the grant at once where this process sees them: admit, send back, leave and end
drop the room's grants, and so does any change to the appointment (`appointment_changed`);
logout, password changes, deactivation and cancellation close the sockets (registry's
receivers of portal/core/signals.py). A change made in another process (two gunicorn
processes behind nginx, sharing Redis) reaches this one at once too, through Redis pub/sub
(invalidations.py: milliseconds). Only when Redis is down does the fallback bound it: a grant
is re-checked within REVALIDATE_SECONDS, the sweeper closes such sockets within SWEEP_SECONDS.
An admission is never taken from the cache as refused (grant_for's need_admitted), and a grant
whose check raced with an invalidation is used once, not cached (remember's `epoch`).

Why not re-read the database on every event: that cost 3-6 ms per message on SQLite (session,
user and appointment rows), which made the portal relay 5x slower than a bare one
(bench/signaling.py). Why 5 s is acceptable as the fallback: it only bounds a revocation made
in *another* process while Redis is unreachable, and once a call is connected its media flows
peer to peer, which no server-side check can stop faster than the peers hang up; the signaling
a revoked socket could still send in those seconds carries no health information.
"""
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app, request
from flask_login import current_user

from portal.core.vocabulary import ROOM_CLOSES_AFTER
from portal.extensions import db
from portal.security import sessions
from portal.video import access
from portal.video.registry import registry

REVALIDATE_SECONDS = 5.0


@dataclass(frozen=True)
class Grant:
    appointment_id: int
    user_id: int
    role: str
    admitted: bool
    valid_until: datetime
    checked: float  # time.monotonic() of the database check

    def holds(self, appointment_id, now):
        return (self.appointment_id == appointment_id and now < self.valid_until
                and time.monotonic() - self.checked < REVALIDATE_SECONDS)


def appointment_id_of(message):
    value = message.get("appointment_id") if isinstance(message, dict) else None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def grant_for(message, check, need_admitted=False):
    """The sender's grant for the message's appointment: cached, or taken with `check` (the
    full participant check, handlers.participant_room: it raises when refused, else returns
    the appointment and its call) and then cached. Only an admission is
    trusted from the cache: a grant taken while the client waited is checked again, since the
    admission may come from another server process."""
    entry = registry.get(request.sid)
    grant = entry.grant if entry is not None else None
    if grant is not None and grant.holds(appointment_id_of(message), datetime.now(UTC)) and (
            grant.admitted or not need_admitted):
        return grant
    epoch = registry.epoch
    appointment, call, _ = check(message, create=False)  # read together: one query
    grant = remember(appointment, call is not None and call.admitted, epoch)
    db.session.commit()  # end the read transaction before the caller emits
    return grant


def remember(appointment, admitted, epoch=None):
    """Cache a grant for this socket after a full participant check (also run by join). When
    an invalidation came in since `epoch` (the registry's count before the check), the grant
    answers this event but is not cached: the check may have read the database before the
    change that invalidation announced."""
    row = sessions.current_session()
    cfg = current_app.config
    limits = [appointment.ends_at + ROOM_CLOSES_AFTER]
    if row is not None:
        limits += [row.last_seen_at + cfg["SESSION_IDLE_TIMEOUT"],
                   row.created_at + cfg["SESSION_ABSOLUTE_TIMEOUT"]]
    grant = Grant(appointment.id, current_user.id, access.role_in(current_user, appointment),
                  admitted, min(limits), time.monotonic())
    entry = registry.get(request.sid)
    if entry is not None and (epoch is None or epoch == registry.epoch):
        entry.grant = grant
    return grant
