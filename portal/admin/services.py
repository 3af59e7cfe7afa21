"""What an admin changes: staff accounts, roles, (de)activation, a lost second factor, and
break-glass grants. Each change is audited and committed here; the views check the admin's own
password first (portal.accounts.services.reauthenticate)."""
from portal.accounts.services import absolute_url
from portal.core.time import utcnow
from portal.extensions import db
from portal.models.breakglass import BreakGlassGrant
from portal.models.user import User
from portal.notifications.email import queue_email
from portal.security import sessions
from portal.security.audit import record
from portal.security.passwords import hash_password


def create_staff(admin, name, email, role, timezone, password):
    """A therapist or admin account; at their first sign-in they enrol MFA and then replace the
    password the admin chose (must_change_password), which the admin must not keep knowing."""
    user = User(name=name, email=email, role=role, timezone=timezone,
                password_hash=hash_password(password), email_verified_at=utcnow(),
                must_change_password=True)
    db.session.add(user)
    db.session.flush()
    record("user_created", actor=admin, obj=("user", user.id), detail=user.role)
    db.session.commit()
    return user


def change_role(admin, user, role):
    """Give `user` another role; they are signed out everywhere and sign in again."""
    old, user.role = user.role, role
    sessions.revoke_all(user, reason="role_changed")
    record("role_changed", actor=admin, obj=("user", user.id), detail=f"{old}->{user.role}")
    db.session.commit()


def toggle_active(admin, user):
    """Deactivate an account (signing it out everywhere), or activate it again."""
    user.is_active_account = not user.is_active_account
    if not user.is_active_account:
        sessions.revoke_all(user, reason="deactivated")
    record("user_activated" if user.is_active_account else "user_deactivated",
           actor=admin, obj=("user", user.id))
    db.session.commit()


def reset_mfa(admin, user):
    """Clear someone's two-step sign-in (lost phone) and sign them out everywhere; this also
    clears their wrong-code count and a lock it caused (the admin vouches for the person). Their
    passkeys go too: a lost phone may hold one, and it would sign in without the password."""
    user.passkeys.clear()
    user.totp_secret_enc = None
    user.mfa_enabled_at = None
    user.totp_last_counter = None
    user.clear_failed_second_factors()
    user.locked_until = None
    user.recovery_codes.clear()
    sessions.revoke_all(user, reason="mfa_reset")
    record("mfa_reset", actor=admin, obj=("user", user.id))
    db.session.commit()


# --- break-glass -----------------------------------------------------------------------------
def grant_access(admin, client, reason, hours):
    """Open a grant, audit it and tell the client's therapist, by an email without PHI."""
    grant = BreakGlassGrant.start(admin, client, reason, hours)
    record("break_glass_granted", actor=admin, obj=("user", client.id),
           detail=f"grant {grant.id} {hours}h")
    therapist = db.session.get(User, client.therapist_id) if client.therapist_id else None
    if therapist is not None and therapist.id != admin.id:
        queue_email(therapist.email, "Emergency access to a client's record", "break_glass",
                    login_url=absolute_url("accounts.login"))
    db.session.commit()
    return grant


def revoke_grant(admin, grant):
    """End a grant now; False when it had already ended."""
    if not grant.is_active():
        return False
    grant.revoked_at = utcnow()
    record("break_glass_revoked", actor=admin, obj=("user", grant.client_id),
           detail=f"grant {grant.id}")
    db.session.commit()
    return True
