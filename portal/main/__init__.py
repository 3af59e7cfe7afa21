"""The front door: the landing page, each person's home and the crisis page."""
from portal.main import routes  # noqa: F401  (the views attach to the blueprint)
from portal.main.blueprint import bp  # noqa: F401  (the app factory registers it)
