"""Error pages for 400, 403, 404, 405, 413, 429, 500 and 503 (database out of reach, in
outage.py): HTML, or JSON when the client asks for it."""
import logging

from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError

from portal.core.outage import register_outage_handler

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("Something was wrong with that request",
          "The page may have been open for a long time. Please go back, reload it and try again."),
    403: ("This page is not available to you",
          "Your account does not have access to this page. If you think it should, please "
          "contact your practice."),
    404: ("We could not find that page",
          "The link may be old or mistyped. You can go back to your home page."),
    405: ("That action is not possible here", "Please go back and use the buttons on the page."),
    413: ("That was too much to send at once", "Please shorten what you entered and try again."),
    429: ("Please wait a moment",
          "There were too many attempts in a short time. Wait a minute and try again."),
    500: ("Something went wrong on our side",
          "Nothing you did caused this. Please try again in a moment. If it keeps happening, "
          "contact your practice."),
}


class BadValue(BadRequest):
    """A 400 whose description is a plain message for the person (a value out of range)."""


def wants_json():
    if request.is_json or request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > \
        request.accept_mimetypes["text/html"]


def render_error(code, description=None):
    title, text = MESSAGES.get(code, MESSAGES[500])
    if wants_json():
        return jsonify(error={"status": code, "title": title, "message": description or text}), code
    return render_template("errors/error.html", code=code, title=title,
                           text=description or text), code


def register_error_handlers(app):
    @app.errorhandler(CSRFError)
    def csrf_error(err):
        return render_error(400, "This form expired or was sent from somewhere else. "
                                 "Please reload the page and try again.")

    @app.errorhandler(BadValue)
    def bad_value(err):
        return render_error(400, err.description)

    @app.errorhandler(HTTPException)
    def http_error(err):
        if err.code is None or err.code < 400:
            return err
        if err.code not in MESSAGES:
            return render_error(err.code if err.code < 500 else 500)
        return render_error(err.code)

    @app.errorhandler(InternalServerError)
    def server_error(err):
        return render_error(500)

    register_outage_handler(app, wants_json)


def where(tb, depth=4):
    """The last `depth` frames of a traceback as "file.py:line" (innermost first)."""
    frames = []
    while tb is not None:
        frames.append(f"{tb.tb_frame.f_code.co_filename.rsplit('/', 2)[-1]}:{tb.tb_lineno}")
        tb = tb.tb_next
    return " < ".join(reversed(frames[-depth:]))


def log_exception_safely(exc_info):
    """Replaces Flask's traceback log: only the exception type and where it was raised.

    Exception messages and tracebacks can quote user input or SQL parameters (possible PHI),
    so they never reach the log; the request id ties the line to the request.
    """
    _, exc, tb = exc_info
    log.error("unhandled error type=%s at=%s", type(exc).__name__, where(tb))


class TypeAndPlaceOnly(logging.Filter):
    """For the Socket.IO libraries' loggers: a record carrying an exception keeps its type and
    place, never the exception's message or traceback (they can quote a client's message)."""

    def filter(self, record):
        if record.exc_info and record.exc_info[1] is not None:
            _, exc, tb = record.exc_info
            record.msg = f"{record.msg} type={type(exc).__name__} at={where(tb)}"
            record.args, record.exc_info, record.exc_text = (), None, None
        return True


def socket_loggers():
    """(Socket.IO logger, Engine.IO logger) for the app's SocketIO: warnings and errors only
    (their info lines quote packets), exceptions as type and place. Without a logger of its
    own, Engine.IO attaches a handler that prints full tracebacks."""
    loggers = []
    for name in ("portal.socketio", "portal.engineio"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.WARNING)
        if not any(isinstance(f, TypeAndPlaceOnly) for f in logger.filters):
            logger.addFilter(TypeAndPlaceOnly())
        loggers.append(logger)
    return tuple(loggers)
