"""Flask-Login's per-request user cache, reached in one place.

Flask-Login caches the request's user on `g` under the private name `_login_user` and has no
public call that drops or replaces it without writing its own keys into the cookie. The portal
needs both: drop it when a session row changes (security/sessions.py), and pin it to anonymous
when the database is out of reach, so that rendering the 503 page never asks the database for
the user again (core/outage.py). tests/test_security_login_cache.py fails if Flask-Login
changes the name; tests/test_architecture.py allows the name in this module only.
"""
from flask import g

from portal.extensions import login_manager

_CACHE = "_login_user"


def forget():
    """Make `current_user` load again on its next use in this request."""
    g.pop(_CACHE, None)


def pin_anonymous():
    """Make `current_user` anonymous for the rest of this request, without a query."""
    setattr(g, _CACHE, login_manager.anonymous_user())
