"""Health checks for load balancers and, in development only, the outbox of unsent emails."""
import email
from email import policy
from pathlib import Path

import redis
from flask import abort, current_app, jsonify, render_template

from portal.extensions import db, limiter
from portal.ops.blueprint import bp
from portal.ops.schema import current_revision, head_revision
from portal.security.access import public


@bp.get("/healthz")
@limiter.exempt
@public
def healthz():
    """Load balancers: the process is up (no database touched)."""
    return jsonify(status="ok")


@bp.get("/readyz")
@limiter.exempt
@public
def readyz():
    """Load balancers: the database answers and its schema is at the newest migration."""
    checks = {}
    try:
        current = current_revision()
        checks["database"] = "ok"
        checks["migrations"] = "ok" if current == head_revision() else "behind"
    except Exception:  # any failure means "not ready"; details stay in the server log
        db.session.rollback()
        checks["database"] = "unreachable"
    if current_app.config.get("REDIS_URL"):
        checks["redis"] = _redis_status(current_app.config["REDIS_URL"])
    ready = all(v == "ok" for v in checks.values())
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503


def _redis_status(url):
    try:
        redis.Redis.from_url(url, socket_timeout=1).ping()
        return "ok"
    except redis.RedisError:
        return "unreachable"


def _outbox():
    if not current_app.config.get("SHOW_DEV_OUTBOX"):
        abort(404)
    return Path(current_app.config["OUTBOX_DIR"])


@bp.get("/dev/outbox")
@public
def dev_outbox():
    """Developers (only when no SMTP server is configured): emails the portal would have sent."""
    folder = _outbox()
    files = sorted(folder.glob("*.eml"), reverse=True)[:50] if folder.exists() else []
    messages = []
    for path in files:
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        body = msg.get_body(preferencelist=("plain",))
        messages.append({"to": msg["To"], "subject": msg["Subject"], "date": msg["Date"],
                         "body": body.get_content() if body else ""})
    return render_template("ops/outbox.html", messages=messages)
