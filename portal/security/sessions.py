"""Server-side, revocable login sessions (ASVS V7, HIPAA §164.312(a)(2)(iii) automatic logoff).

The signed Flask cookie carries only a random session id; the row in `user_sessions` decides
whether it is valid. Login issues a fresh id (rotation), logout and password changes revoke rows
on the server (a replayed cookie is refused), and idle (30 min) and absolute (12 h) limits apply.
"""
import hashlib
from datetime import timedelta

from flask import after_this_request, current_app, g, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from portal.core import login_cache
from portal.core.signals import sessions_revoked
from portal.core.time import utcnow
from portal.core.tokens import new_token, token_hash
from portal.extensions import db, login_manager
from portal.models.user import UserSession
from portal.security import passkeys
from portal.security.audit import record

PENDING_MFA_LIMIT = timedelta(minutes=10)
TOUCH_INTERVAL = timedelta(seconds=15)


def forget_loaded_user():
    """Make `current_user` load again from the session row on its next use in this request
    (Flask-Login's private cache is reached in one place: core/login_cache.py)."""
    login_cache.forget()


def start_session(user, mfa_passed):
    """Begin a new session for `user` after the password was accepted; drop the old cookie state."""
    now = utcnow()
    old = current_session(include_pending=True)
    if old is not None and old.revoked_at is None:
        old.revoked_at, old.revoke_reason = now, "replaced"
    token = new_token()
    row = UserSession(token_hash=token_hash(token), user=user, created_at=now, last_seen_at=now,
                      mfa_passed_at=now if mfa_passed else None,
                      ip=request.remote_addr, user_agent=(request.user_agent.string or "")[:256])
    db.session.add(row)
    session.clear()  # rotation: nothing from before login survives, including the CSRF secret
    session["sid"] = token
    session.permanent = False
    g._portal_session = row
    forget_loaded_user()
    return row


def mark_mfa_passed(row):
    """The second factor passed: the session now signs the user in, under a fresh id, so a
    cookie obtained or planted during the password-only step does not become a full login."""
    row.mfa_passed_at = utcnow()
    token = new_token()
    row.token_hash = token_hash(token)
    session["sid"] = token
    forget_loaded_user()


def current_session(include_pending=False):
    """The valid session row of this request (None when absent, expired or revoked)."""
    if "_portal_session" not in g:
        g._portal_session = _load()
    row = g._portal_session
    if row is None or (not include_pending and not row.authenticated):
        return None
    return row


def pending_session():
    """A session whose password step passed but whose second factor has not yet."""
    row = current_session(include_pending=True)
    if row is None or row.authenticated:
        return None
    if utcnow() - row.created_at > PENDING_MFA_LIMIT:
        return None
    return row


def password_change_session():
    """A session past both factors whose user must still replace a password someone else chose
    (User.must_change_password): it signs nobody in until they do."""
    row = current_session()
    if row is None or not row.user.must_change_password:
        return None
    return row


def passkey_setup_session():
    """A session past both factors (and past choosing one's own password) whose clinician the
    practice requires to add a passkey first (REQUIRE_CLINICIAN_PASSKEYS): it signs nobody in
    until they add one."""
    row = current_session()
    if row is None or row.user.must_change_password or not passkeys.must_register(row.user):
        return None
    return row


def forget_pending_secrets(user):
    """Drop every session's not-yet-confirmed TOTP key of `user` (after enrolment)."""
    db.session.execute(update(UserSession).where(UserSession.user_id == user.id,
                                                 UserSession.pending_totp_secret.is_not(None))
                       .values(pending_totp_secret=None))


def _load():
    token = session.get("sid")
    if not token or not isinstance(token, str):
        return None
    row = db.session.scalar(select(UserSession).options(joinedload(UserSession.user))
                            .where(UserSession.token_hash == token_hash(token)))
    if row is None:
        return None
    now = utcnow()
    cfg = current_app.config
    reason = row.expiry_reason(now, cfg["SESSION_IDLE_TIMEOUT"], cfg["SESSION_ABSOLUTE_TIMEOUT"])
    if reason or not row.user.is_active:
        if row.revoked_at is None:
            row.revoked_at, row.revoke_reason = now, reason or "deactivated"
            row.pending_totp_secret = None
            record("session_expired", actor=row.user, obj=("session", row.id),
                   detail=row.revoke_reason)
            db.session.commit()
        session.pop("sid", None)
        g.session_ended = row.revoke_reason
        return None
    if now - row.last_seen_at > TOUCH_INTERVAL and not _socket_event():
        row.last_seen_at = now
        db.session.commit()
    return row


def _socket_event():
    """True inside a Socket.IO event (Flask-SocketIO gives its request a `sid`). A socket
    event is not by itself activity: an open room or dashboard left unattended must still be
    logged off. What counts on a socket is a connected call (keep_alive below)."""
    return has_request_context() and getattr(request, "sid", None) is not None


def keep_alive(row, now=None):
    """Move `row`'s idle clock to now because its person is in a connected video call;
    returns the session's new deadline, or None when it already ended (nothing is moved).

    Why an active call counts as activity (HIPAA §164.312(a)(2)(iii), automatic logoff: end
    an electronic session "after a predetermined time of inactivity"): during a therapy hour
    the person is looking at and talking to the screen, so there is no inactivity to guard
    against, and signing them out at minute 30 would drop the session halfway. The rule stays
    narrow: only a call that is connected, for a participant the room admits (the page says
    so on its heartbeat; the server checks the admission), so an unattended room or dashboard
    still logs off after the idle limit. The absolute limit (12 h from sign-in) is never
    moved: an expired session stays expired, and the deadline is capped by it.

    The caller commits."""
    now = now or utcnow()
    cfg = current_app.config
    idle, absolute = cfg["SESSION_IDLE_TIMEOUT"], cfg["SESSION_ABSOLUTE_TIMEOUT"]
    if row is None or row.expiry_reason(now, idle, absolute):
        return None
    row.last_seen_at = max(row.last_seen_at, now)
    return min(row.last_seen_at + idle, row.created_at + absolute)


@login_manager.request_loader
def load_user_from_request(_request):
    """Flask-Login hook: the user of a valid, fully authenticated session, else anonymous.

    A clinician still on a password someone else chose, or without the passkey the practice
    requires, is anonymous to every page, API and socket (deny by default); only the pages that
    fix that find them, through password_change_session() and passkey_setup_session().
    """
    row = current_session()
    if row is None or row.user.must_change_password or passkeys.must_register(row.user):
        return None
    return row.user


def end_session(reason="logout"):
    row = current_session(include_pending=True)
    if row is not None:
        row.revoked_at, row.revoke_reason = utcnow(), reason
        row.pending_totp_secret = None
    session.clear()
    g._portal_session = None
    forget_loaded_user()
    return row


def revoke_all(user, reason, keep=None):
    """End every session of `user` (except `keep`), e.g. after a password change or reset."""
    stmt = (update(UserSession)
            .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
            .values(revoked_at=utcnow(), revoke_reason=reason, pending_totp_secret=None))
    if keep is not None:
        stmt = stmt.where(UserSession.id != keep.id)
    ids = set(db.session.scalars(select(UserSession.id).where(stmt.whereclause)))
    db.session.execute(stmt)
    if ids and has_request_context():
        # Once the request has committed the revocation, tell the areas that hold something
        # open for those sessions (video closes their sockets in this process at once; other
        # processes catch up through grants and the sweeper within seconds).
        @after_this_request
        def announce(response):
            if response.status_code < 400:
                sessions_revoked.send(current_app._get_current_object(), session_ids=ids)
            return response


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie (it holds only the server-side session's random id), made cheap
    for Socket.IO events.

    - HMAC-SHA1 as before, through OpenSSL: Flask passes a Python wrapper around hashlib.sha1
      (for FIPS builds without SHA-1), which sends every HMAC down Python's pure-Python path,
      about 80 µs per request on this hardware.
    - A socket's events all run on the environ of its connection, with the cookie it connected
      with (Flask-SocketIO with manage_session=False freezes the cookie session there). The
      cookie is verified once per socket and each event gets a fresh copy of what it held;
      verifying it again for every signal was half of a relay event's time. HTTP requests have
      an environ each, so they always verify. The server-side session row behind the id is
      still checked (portal/video/grants.py).
    """

    digest_method = staticmethod(hashlib.sha1)
    CACHE_KEY = "portal.cookie_session"

    def open_session(self, app, request):
        cookie = request.cookies.get(self.get_cookie_name(app))
        cached = request.environ.get(self.CACHE_KEY)
        if cached is not None and cached[0] == cookie:
            return self.session_class(cached[1])
        opened = super().open_session(app, request)
        if opened is not None:
            request.environ[self.CACHE_KEY] = (cookie, dict(opened))
        return opened
