"""The audit log page (the trail itself is written and verified by portal/security/audit.py)."""
from portal.audit import routes  # noqa: F401  (the views attach to the blueprint)
from portal.audit.blueprint import bp  # noqa: F401  (the app factory registers it)
