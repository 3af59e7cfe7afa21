"""The database out of reach (PostgreSQL restarting, its network down): a calm 503, never a traceback.

Any query can meet the outage, including the one that loads the signed-in person's session in
before_request, so the answer touches the database no more: it rolls back and removes the
session, makes the rest of the request anonymous (the layout would load the user again) and
renders a bare page that needs nothing but the crisis numbers. The engine's pool_pre_ping
(config.SQLALCHEMY_ENGINE_OPTIONS) drops dead connections, so the app recovers by itself once
the database is back.
"""
import logging
from contextlib import suppress

from flask import g, jsonify, render_template
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError

from portal.core import login_cache
from portal.extensions import db

log = logging.getLogger(__name__)

OUTAGE_ERRORS = (OperationalError, InterfaceError, DisconnectionError)
RETRY_AFTER_S = 30
UNAVAILABLE = {"error": "unavailable"}


def is_outage(exc):
    """True when `exc` means the database cannot be reached (not a bug in a query)."""
    return isinstance(exc, OUTAGE_ERRORS)


def forget_database_state():
    """End this request's use of the database without asking it anything more."""
    with suppress(Exception):  # the connection is gone; removing the session is what matters
        db.session.rollback()
    db.session.remove()
    g._portal_session = None  # security/sessions.py's cache: no second load of the session row
    login_cache.pin_anonymous()  # anonymous from here on: the page never asks for the user


def unavailable(exc, as_json):
    """The 503 answer: JSON {error: "unavailable"} or the calm page, with Retry-After.

    Only the error's class is logged: its message can quote SQL parameters."""
    log.warning("database unavailable type=%s", type(exc).__name__)
    forget_database_state()
    if as_json:
        response = jsonify(UNAVAILABLE)
    else:
        response = render_template("errors/unavailable.html")
    return response, 503, {"Retry-After": str(RETRY_AFTER_S)}


def register_outage_handler(app, wants_json):
    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(DisconnectionError)
    def database_unavailable(err):
        """Any request whose query met the outage (the session load in before_request too)."""
        return unavailable(err, wants_json())
