"""Re-consent: when a new version of a signed document is published, the client signs it before
using the portal further (checked on every request, so "at next login" and from then on)."""
from flask import redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from portal.extensions import db
from portal.models.consent import ConsentSignature, unsigned_current

ALWAYS_ALLOWED = {"care.reconsent", "accounts.logout", "accounts.keepalive", "main.crisis", "static",
                  "ops.healthz", "ops.readyz"}


def needs_reconsent(user):
    """Documents to sign again: only for clients who signed an earlier version of something."""
    if not user.is_authenticated or not user.is_client:
        return []
    signed_any = db.session.scalar(select(ConsentSignature.id)
                                   .where(ConsentSignature.client_id == user.id).limit(1))
    return unsigned_current(user.id) if signed_any else []


def require_current_consents():
    """before_request: send clients with an unsigned new version to the signing page."""
    if request.endpoint in ALWAYS_ALLOWED or request.endpoint is None:
        return None
    if needs_reconsent(current_user):
        return redirect(url_for("care.reconsent"))
    return None
