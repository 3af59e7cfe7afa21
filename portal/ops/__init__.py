"""Operations: health checks, the development outbox, backup and restore (docs/deploy.md)."""
from portal.ops import routes  # noqa: F401  (the views attach to the blueprint)
from portal.ops.blueprint import bp  # noqa: F401  (the app factory registers it)
