"""The KAP telehealth portal: application factory."""
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.config import config_from_env
from portal.core.bounds import IdConverter
from portal.extensions import csrf, db, limiter, login_manager, migrate, socketio

ROOT = Path(__file__).resolve().parent.parent


class PortalFlask(Flask):
    def log_exception(self, exc_info):
        from portal.core.errors import log_exception_safely
        log_exception_safely(exc_info)


def create_app(config_class=None):
    """Build an app: bind extensions, register blueprints and hooks. No side effects on data."""
    config_class = config_class or config_from_env()
    config_class.validate()
    app = PortalFlask(__name__, template_folder=str(ROOT / "templates"),
                static_folder=str(ROOT / "static"), instance_path=str(ROOT / "instance"))
    app.config.from_object(config_class)
    app.url_map.converters["int"] = IdConverter  # before any route: huge ids answer 404

    from portal.core.logs import configure_logging
    configure_logging(app)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = None  # sessions are server-side; see security/sessions.py
    from portal.security.sessions import CookieSessionInterface
    app.session_interface = CookieSessionInterface()
    from portal.core.errors import socket_loggers
    socket_logger, engineio_logger = socket_loggers()
    socketio.init_app(app, message_queue=app.config.get("REDIS_URL"),
                      channel=app.config.get("SOCKETIO_CHANNEL", "flask-socketio"),
                      async_mode=app.config.get("SOCKETIO_ASYNC_MODE"),
                      cors_allowed_origins=app.config.get("SOCKETIO_ORIGINS"),
                      manage_session=False, logger=socket_logger,
                      engineio_logger=engineio_logger)
    # After Socket.IO wraps the app, so that socket handlers also see the client's address.
    if app.config.get("TRUSTED_PROXIES"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"], x_proto=1)

    with app.app_context():
        from portal.core.db import configure_engine
        configure_engine(db.engine)

    _register_hooks(app)
    _register_blueprints(app)

    from portal.cli import register_cli
    register_cli(app)
    from portal.security.checkpoints import checkpoint_at_exit
    checkpoint_at_exit(app)
    return app


def _register_hooks(app):
    from portal import models  # noqa: F401  (models register with the metadata)
    from portal.care.consents import require_current_consents
    from portal.core.bounds import form_posts_carry_text
    from portal.core.logs import assign_request_id
    from portal.core.templating import template_globals
    from portal.notifications.sender import start_sender
    from portal.security import sessions  # noqa: F401  (registers the Flask-Login loader)
    from portal.security.access import enforce_access
    from portal.security.headers import csp_nonce, set_security_headers

    app.before_request(start_sender)  # first, so no refusal skips it: once per process
    app.before_request(assign_request_id)
    app.before_request(enforce_access)
    app.before_request(require_current_consents)
    app.before_request(form_posts_carry_text)
    app.after_request(set_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.context_processor(template_globals)


def _register_blueprints(app):
    """Every area's blueprint, each with its own URL prefix and templates folder."""
    # notifications has no blueprint: it is imported for its signal receivers.
    from portal import (
        accounts,
        admin,
        audit,
        care,
        dosing,
        intake,
        main,
        messages,
        notifications,  # noqa: F401
        ops,
        scheduling,
        video,
        workspace,
    )
    from portal.core.errors import register_error_handlers

    for area in (main, accounts, audit, admin, workspace, dosing, intake, care, messages, video,
                 scheduling, ops):
        app.register_blueprint(area.bp)
    # Flask-SocketIO's @socketio.on registers only on the server that exists at import time;
    # each app gets a new server, so the handlers are attached here, once per app.
    video.register_events(socketio)
    register_error_handlers(app)
