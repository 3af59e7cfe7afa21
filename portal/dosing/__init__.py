"""The dosing-day record (/therapist/dosing/...): the page the therapist keeps beside the client
during an in-person dosing session. Readiness answers and concerns, vitals over time with the
timed checks, the blood-pressure gate and its override, the dose, observations, the monitor, the
discharge checklist; signed and locked with addenda; printable.

Views in routes.py (page, print, sign, addenda) and routes_sections.py (one save per section);
pages.py renders the page for both; reads in queries.py (ownership first); writes with their
audit records in services.py, and the readiness concern flags in services_readiness.py; the
rules without I/O in rules.py (gate, timed checks, signing) and readiness.py.

Connected here: readiness_saved (portal/core/signals.py) → a "no" raises a concern flag.
"""
from portal.core.signals import readiness_saved
from portal.dosing import routes, routes_sections  # noqa: F401  (the views attach to the blueprint)
from portal.dosing.blueprint import bp  # noqa: F401  (the app factory registers it)
from portal.dosing.services_readiness import on_readiness_saved

readiness_saved.connect(on_readiness_saved)
