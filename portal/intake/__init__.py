"""The client's intake (/intake): eight steps with autosaved drafts, a review page, the final
submission with its scores and contraindication flags (rules.py), and amendment requests.

Views in routes.py over services.py; the steps' order and forms in steps.py and forms.py."""
from portal.intake import routes  # noqa: F401  (the views attach to the blueprint)
from portal.intake.blueprint import bp  # noqa: F401  (the app factory registers it)
