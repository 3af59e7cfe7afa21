"""Scheduling: the client's sessions, booking (session types → free slots → race-free,
idempotent booking), rescheduling and cancelling, the dosing-day questions, and the private
calendar feed. Shape: routes_*.py (views), pages.py (pages shared by views), queries.py (read
models), services.py (writes), forms.py, and the rules: gates.py (who may book what, when)
and slots.py (free times).

Other areas hear of a change by the signal appointment_changed (portal/core/signals.py);
the therapist's calendar, hours and session-type pages are in portal/workspace.
"""
from portal.scheduling import routes_booking, routes_changes, routes_feed  # noqa: F401  (the views attach to the blueprint)
from portal.scheduling.blueprint import bp  # noqa: F401  (the app factory registers it)
