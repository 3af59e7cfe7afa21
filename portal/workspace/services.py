"""The therapist's writes about clients: invitations, care status, the intake review decision
(and the email that tells the client, after the commit), acknowledging a safety flag and
publishing a consent document. Each write adds its audit record in the same transaction; the
caller commits."""
from flask import current_app
from sqlalchemy import func, select

from portal.accounts.services import absolute_url, find_user
from portal.core.time import utcnow
from portal.core.tokens import new_token, token_hash
from portal.core.vocabulary import CONSENT_TITLES, CareStatus, ConsentKind
from portal.extensions import db
from portal.models.care import CareStatusChange
from portal.models.consent import ConsentDocument
from portal.models.intake import ReviewDecision
from portal.models.user import Invitation
from portal.notifications.email import queue_email
from portal.security.audit import record


def invite_client(email, by):
    """Invite `email` to register as `by`'s client: the invitation (only the token's hash is
    kept) and the email with the link.

    The inviting therapist must not learn whether the email already has an account (account
    enumeration): the invitation row, its listing and its audit record are the same
    either way, and the account's owner gets a neutral note instead of a link (like
    registration's register_existing). The token of such an invitation is never sent."""
    token, now = new_token(), utcnow()
    max_age = current_app.config["INVITE_MAX_AGE"]
    row = Invitation(email=email, therapist=by, token_hash=token_hash(token), created_at=now,
                     expires_at=now + max_age)
    db.session.add(row)
    db.session.flush()
    record("client_invited", actor=by, obj=("invitation", row.id))
    existing = find_user(email)
    if existing is not None:
        # No actor: the therapist's own audit view lists events they acted in (portal/audit).
        record("invite_existing_email", obj=("user", existing.id), outcome="failure")
        queue_email(existing.email, "You already have a portal account", "invite_existing",
                    login_url=absolute_url("accounts.login"),
                    reset_url=absolute_url("accounts.reset_request"))
        return row
    queue_email(row.email, "You are invited to create your portal account", "invite",
                invite_url=absolute_url("accounts.accept_invite", token=token), days=max_age.days)
    return row


def change_care_status(client, status, reason, by):
    """Pause, discharge or resume a client's care; the reason is kept with the change."""
    new = CareStatus(status).value
    db.session.add(CareStatusChange(client_id=client.id, status=new, reason=reason,
                                    changed_by_id=by.id))
    detail = f"{client.care_status}->{new}"
    client.care_status = new
    record("client_care_status_changed", actor=by, obj=("user", client.id), detail=detail)
    return new


def record_decision(intake, values, by):
    """A review decision on a submitted intake (`values`: the ReviewDecision columns). An
    "eligible" decision taken with flags open names them (`flags_confirmed`) with a reason: its
    own audit record lists the flags' ids."""
    decision = ReviewDecision(intake_id=intake.id, therapist_id=by.id, **values)
    db.session.add(decision)
    db.session.flush()
    record("intake_decision", actor=by, obj=("intake", intake.id), detail=values["decision"])
    if decision.flags_confirmed:
        ids = ",".join(str(flag["id"]) for flag in decision.flags_confirmed)
        record("decision_with_open_flags", actor=by, obj=("review_decision", decision.id),
               detail=f"safety_flag {ids}")
    return decision


def tell_client_of_decision(client):
    """Queue, with the decision, the client's email that their intake was reviewed (no health
    detail: the decision itself waits in the portal)."""
    queue_email(client.email, "Your therapist has reviewed your intake", "intake_reviewed",
                login_url=absolute_url("accounts.login"))


def acknowledge_flag(flag, note, by):
    """Close an open safety flag with the clinician's note of what they did or will do."""
    flag.acknowledged_at, flag.acknowledged_by_id = utcnow(), by.id
    flag.acknowledgement_note = note
    record("safety_flag_acknowledged", actor=by, obj=("safety_flag", flag.id), detail=flag.code)


def publish_consent(kind, title, body, by):
    """A new version of a consent document; clients who signed an older one must re-sign.

    When two clinicians publish the same kind at the same moment, the second flush or commit
    raises IntegrityError (one version number per kind); the caller tells them."""
    current = next((d for d in ConsentDocument.current() if d.kind == kind), None)
    version = (db.session.scalar(select(func.max(ConsentDocument.version))
                                 .where(ConsentDocument.kind == kind)) or 0) + 1
    doc = ConsentDocument(kind=kind, version=version, body=body, published_by_id=by.id,
                          title=title or (current.title if current
                                          else CONSENT_TITLES[ConsentKind(kind)]))
    db.session.add(doc)
    db.session.flush()
    record("consent_published", actor=by, obj=("consent_document", doc.id),
           detail=f"{kind} v{version}")
    return doc
