"""The client's care: the arc of care (arc.py, also the therapist's clients list), the home
page's read model (queries_home.py), check-ins and their email invitations (invitations.py, sent
by `flask send-reminders`), the post-dosing check-in, the integration journal,
re-consent (the consents.py request hook), "my data", and measurement-based care (the PCL-5
and C-SSRS pages, the client's own scores: routes_measures.py).

Views in routes*.py, reads in queries*.py, writes in services.py, forms in forms.py; pure rules
in arc.py and postdosing.py."""
from portal.care import routes, routes_journal, routes_measures, routes_postdosing  # noqa: F401  (the views attach to the blueprint)
from portal.care.blueprint import bp  # noqa: F401  (the app factory registers it)
