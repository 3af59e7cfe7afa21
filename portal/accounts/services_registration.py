"""Client registration, self-service or by a therapist's invitation, and email verification."""
from flask import current_app
from sqlalchemy import func, select

from portal.accounts.services import VERIFY_SALT, absolute_url, find_user, make_token, read_token
from portal.core.time import utcnow
from portal.core.tokens import token_hash
from portal.core.vocabulary import Role
from portal.extensions import db
from portal.models.user import Invitation, User
from portal.notifications.email import queue_email
from portal.security import passwords
from portal.security.audit import record


def default_therapist():
    """The practice's therapist for self-registered clients: the one with the fewest clients."""
    clinicians = db.session.scalars(
        select(User).where(User.role.in_([Role.THERAPIST.value, Role.ADMIN.value]),
                           User.is_active_account.is_(True)).order_by(User.id)).all()
    if not clinicians:
        return None
    counts = dict(db.session.execute(
        select(User.therapist_id, func.count()).where(User.role == Role.CLIENT.value)
        .group_by(User.therapist_id)).all())
    return min(clinicians, key=lambda t: (t.role != Role.THERAPIST.value, counts.get(t.id, 0)))


def register(name, email, password, timezone):
    """Self-service registration (committed): the new client must confirm the email first."""
    _register_client(name, email, password, timezone)
    db.session.commit()


def _register_client(name, email, password, timezone, therapist=None, verified=False):
    """Create a client account, or tell the existing owner; the response is the same either way."""
    password_hash = passwords.hash_password(password)  # also for existing emails: equal timing
    existing = find_user(email)
    if existing is not None:
        record("registration_existing_email", obj=("user", existing.id), outcome="failure")
        queue_email(existing.email, "Someone tried to create an account with your email",
                    "register_existing", login_url=absolute_url("accounts.login"),
                    reset_url=absolute_url("accounts.reset_request"))
        return None
    now = utcnow()
    user = User(name=name, email=email, password_hash=password_hash, timezone=timezone,
                role=Role.CLIENT.value, therapist=therapist or default_therapist(),
                email_verified_at=now if verified else None)
    db.session.add(user)
    db.session.flush()
    record("registration", actor=user, obj=("user", user.id))
    if not verified:
        send_verification(user)
    return user


def send_verification(user):
    """Email a link that confirms the address (not committed)."""
    token = make_token(VERIFY_SALT, uid=user.id, email=user.email)
    queue_email(user.email, "Please confirm your email address", "verify_email",
                name=user.name, verify_url=absolute_url("accounts.verify_email", token=token),
                hours=int(current_app.config["EMAIL_VERIFY_MAX_AGE"].total_seconds() // 3600))


def resend_verification(email):
    """A fresh confirmation link for an unconfirmed account (committed); nothing otherwise."""
    user = find_user(email)
    if user is not None and not user.email_verified:
        send_verification(user)
    db.session.commit()


def verify_email(token):
    """Mark the address of the link confirmed (committed); None when the link is not valid."""
    data = read_token(VERIFY_SALT, token, current_app.config["EMAIL_VERIFY_MAX_AGE"])
    user = db.session.get(User, data.get("uid")) if data else None
    if user is None or user.email != data.get("email"):
        return None
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        record("email_verified", actor=user, obj=("user", user.id))
        db.session.commit()
    return user


# --- invitations -----------------------------------------------------------------------------
def invitation_for(token):
    """The unused, unexpired invitation whose link holds `token`, or None."""
    invite = db.session.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))
    return invite if invite is not None and invite.usable(utcnow()) else None


def accept_invitation(invite, name, password, timezone):
    """Register the invited client with the invited email, which the link verifies, and use up
    the invitation (committed). None when that email already had an account (its owner is told)."""
    user = _register_client(name, invite.email, password, timezone, therapist=invite.therapist,
                            verified=True)
    invite.used_at = utcnow()
    db.session.commit()
    return user
