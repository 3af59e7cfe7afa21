"""What the therapist sees when booking a session for their client: each of their session types
with the answer of the arc's gates (open, refused with a reason they may override, or refused for
everyone), and a week of their free times (no minimum notice or booking window: any free time).
The gates' words are portal/scheduling/gates.py's, so the therapist reads what the client reads.
"""
from typing import NamedTuple

from portal.models.schedule import SessionType
from portal.scheduling import gates
from portal.scheduling import queries as scheduling_queries
from portal.workspace.queries_calendar import own_row, session_types


class Option(NamedTuple):
    session_type: SessionType
    refusal: str | None  # the client could not book it: the therapist may, with a reason
    final: str | None  # no one may book it now


def gate_of(client, session_type):
    """(refusal, final) for one session type: final refusals first, then the client's gates."""
    final = gates.final_refusal(client, session_type)
    return (None, final) if final else (gates.refusal(client, session_type), None)


def options(client, therapist):
    """The therapist's session types in the order of the arc, each with its gates' answer."""
    return [Option(t, *gate_of(client, t)) for t in session_types(therapist)]


def own_type(therapist, type_id):
    """One of the therapist's own session types; 404 for anyone else's."""
    return own_row(therapist, SessionType, type_id)


def week(session_type, zone, first=None):
    """A week of the therapist's free times for `session_type` (any free future time)."""
    return scheduling_queries.week_of_slots(session_type, zone, first, limits=False)
