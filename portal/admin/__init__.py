"""The practice owner's pages: staff accounts and roles."""
from portal.admin import routes, routes_breakglass  # noqa: F401  (the views attach to the blueprint)
from portal.admin.blueprint import bp  # noqa: F401  (the app factory registers it)
