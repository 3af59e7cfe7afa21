"""The therapist's workspace (/therapist/...): dashboard, clients and invitations, one client's
record and care status, intake review and safety flags, session notes, calendar, availability and
session types, booking a session for a client, consent documents.

Views in routes*.py; reads in queries*.py (ownership checks in queries.py); writes with their
audit records in services*.py; forms in forms.py; the words about safety flags in flags.py and the
scores chart in chart.py.
"""
from portal.workspace import (  # noqa: F401  (the views attach to the blueprint)
    routes,
    routes_booking,
    routes_calendar,
    routes_dashboard,
    routes_notes,
    routes_record,
    routes_review,
)
from portal.workspace.blueprint import bp  # noqa: F401  (the app factory registers it)
