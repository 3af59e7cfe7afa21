"""Scheduling: session types, availability, free slots, race-free booking, reminders."""
from portal.scheduling import routes_booking, routes_changes, routes_feed  # noqa: F401  (the views attach to the blueprint)
from portal.scheduling.blueprint import bp  # noqa: F401  (the app factory registers it)
