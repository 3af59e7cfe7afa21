"""The client's own care between sessions: check-ins, the post-dosing check-in, the
integration journal, re-consent and "my data"."""
from portal.care import routes, routes_journal, routes_postdosing  # noqa: F401  (the views attach to the blueprint)
from portal.care.blueprint import bp  # noqa: F401  (the app factory registers it)
