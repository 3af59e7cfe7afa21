"""The therapist's workspace (/therapist/...): dashboard, clients, intake review, notes,
calendar, availability and session types, consents."""
from portal.workspace import (  # noqa: F401  (the views attach to the blueprint)
    routes,
    routes_calendar,
    routes_client,
    routes_dashboard,
    routes_journal,
    routes_notes,
    routes_review,
)
from portal.workspace.blueprint import bp  # noqa: F401  (the app factory registers it)
