"""The practice owner's pages (/admin): every account, staff creation, roles, (de)activation,
resetting a lost second factor, and break-glass access to a client's record."""
from portal.admin import routes, routes_breakglass  # noqa: F401  (the views attach to the blueprint)
from portal.admin.blueprint import bp  # noqa: F401  (the app factory registers it)
