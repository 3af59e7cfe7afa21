"""The client's intake: eight steps with autosaved drafts, a review page and final submission."""
from portal.intake import routes  # noqa: F401  (the views attach to the blueprint)
from portal.intake.blueprint import bp  # noqa: F401  (the app factory registers it)
