"""A small practice where every route answers, and a browser signed in for each kind of visitor
(for tests/test_property_requests.py).

The client has a submitted and accepted intake, signed consents, a consultation behind them, a
passkey, a message thread, a video session about to start, a dosing session tomorrow (readiness
open), an ended dosing session (post-dosing check-in, its draft note and its dosing record), an
ended session with a signed note (addenda), an open safety flag and a shared and a private
journal entry; the therapist works every day and has a rule and a day off; the admin holds a
break-glass grant on the client. A second client is half-way through the intake.

Writes that would take the ground from under the other routes (cancelling, a care status, an
intake decision) are aimed at objects of their own: TARGETS.
"""
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from portal.accounts import services as accounts
from portal.core.time import utcnow
from portal.core.tokens import new_token, token_hash
from portal.core.vocabulary import AppointmentStatus, NoteStatus, SessionKind
from portal.extensions import db
from portal.messages import services as messages
from portal.models.breakglass import BreakGlassGrant
from portal.models.intake import STEPS
from portal.models.journal import JournalEntry
from portal.models.notes import SessionNote
from portal.models.schedule import AvailabilityOverride, AvailabilityRule
from portal.models.user import Invitation
from portal.scheduling import slots
from tests import factories
from tests.conftest import Auth, next_totp, signed_in
from tests.factories import DEFAULT_PASSWORD
from tests.passkey_helpers import make_passkey
from tests.scheduling_helpers import (
    EVERY_DAY,
    complete_consultation,
    make_appointment,
    make_eligible,
    open_item9_flag,
    session_type,
    submit_intake,
    wall,
    weekly_hours,
)

# Path values a route answers to, by argument name (per endpoint where one name means several
# objects: STATE_FOR, as in tests/test_ownership_matrix.py).
STATE_FOR = {
    "scheduling.readiness": {"appointment_id": "dosing_soon_id"},
    # changes: sessions far enough ahead for the client to change them
    "scheduling.cancel": {"appointment_id": "cancel_appointment_id"},
    "scheduling.reschedule": {"appointment_id": "spare_appointment_id"},
    "care.post_dosing": {"appointment_id": "dosing_ended_id"},
    "workspace.note": {"appointment_id": "dosing_ended_id"},
    "workspace.save_note": {"appointment_id": "dosing_ended_id"},
    "workspace.autosave_note": {"appointment_id": "dosing_ended_id"},
    "workspace.appointment_status": {"appointment_id": "started_id"},
    # the dosing-day record: an in-person dosing session (here, one that has ended)
    **{f"dosing.{name}": {"appointment_id": "dosing_ended_id"} for name in (
        "record", "print_record", "add_vitals", "save_monitor", "record_override", "record_dose",
        "save_observations", "save_discharge", "sign", "add_addendum")},
    "care.share_journal_entry": {"entry_id": "private_entry_id"},
    "workspace.add_addendum": {"appointment_id": "signed_note_id"},
    "accounts.verify_email": {"token": "verify_token"},
    "accounts.reset_password": {"token": "reset_token"},
    "accounts.accept_invite": {"token": "invite_token"},
    "accounts.confirm_email_change": {"token": "email_change_token"},
    "scheduling.calendar_feed": {"token": "feed_token"},
}
# Other values of a string argument that answer.
PATH_CHOICES = {"step": STEPS}
# POSTs that change what other routes need are sent to objects of their own.
TARGETS = {
    "scheduling.cancel_session": {"appointment_id": "cancel_appointment_id"},
    "scheduling.reschedule_session": {"appointment_id": "spare_appointment_id"},
    "workspace.change_care_status": {"client_id": "spare_client_id"},
    "workspace.intake_decision": {"client_id": "spare_client_id"},
}
# Pages crawled for their forms besides each GET route's own URL.
EXTRA_PAGES = {
    "new client": [f"/intake/{step}" for step in STEPS] + ["/intake/review"],
    "therapist": ["/therapist/appointments/{signed_note_id}/note",
                  "/therapist/calendar?week={started_day}"],
}


def build():
    """The practice above; returns {name: id or value} and the people by role."""
    therapist = factories.make_therapist()
    client = factories.make_client(therapist)
    submit_intake(client)
    make_eligible(client)
    complete_consultation(client)  # so preparation times answer the client (/book/<type_id>)
    spare = factories.make_client(therapist)
    submit_intake(spare)
    newcomer = factories.make_client(therapist)
    admin = factories.make_admin()
    weekly_hours(therapist, days=EVERY_DAY)
    video = session_type(therapist, SessionKind.PREPARATION)
    dosing = session_type(therapist, SessionKind.DOSING)
    now = utcnow()
    appointment = make_appointment(client, video, now + timedelta(minutes=5))
    spare_appointment = make_appointment(client, video, now + timedelta(days=4))
    to_cancel = make_appointment(client, video, now + timedelta(days=5))
    started = make_appointment(client, video, now - timedelta(hours=3))  # not marked yet
    dosing_soon = make_appointment(client, dosing, now + timedelta(hours=24))
    ended = AppointmentStatus.COMPLETED
    dosing_ended = make_appointment(client, dosing, now - timedelta(hours=30), status=ended)
    signed = make_appointment(client, video, now - timedelta(hours=80), status=ended)
    db.session.add(SessionNote(appointment_id=signed.id, therapist_id=therapist.id,
                               kind=signed.kind, content={}, status=NoteStatus.SIGNED.value,
                               signed_at=now))
    flag = open_item9_flag(client)
    entry = JournalEntry(client_id=client.id, written_on=date.today(), text="shared", shared=True)
    private = JournalEntry(client_id=client.id, written_on=date.today(), text="mine")
    rule = AvailabilityRule(therapist_id=therapist.id, weekday=0, start_time=time(6),
                            end_time=time(7))
    override = AvailabilityOverride(therapist_id=therapist.id, day=date.today() + timedelta(2),
                                    available=False)
    grant = BreakGlassGrant(admin_id=admin.id, client_id=client.id, reason="Property test",
                            granted_at=now, expires_at=now + timedelta(hours=4))
    db.session.add_all([entry, private, rule, override, grant])
    db.session.commit()
    passkey = make_passkey(client)
    thread = messages.start_thread(client, "A question", "Hello")
    db.session.commit()
    stranger = factories.make_client(therapist)  # the holder of the emailed links
    utc_now = datetime.now(UTC)
    free = slots.free_slots(video, utc_now + timedelta(days=2), utc_now + timedelta(days=9))
    world = {
        "client_id": client.id, "appointment_id": appointment.id, "flag_id": flag.id,
        "entry_id": entry.id, "type_id": video.id, "rule_id": rule.id,
        "override_id": override.id, "dosing_soon_id": dosing_soon.id,
        "dosing_ended_id": dosing_ended.id, "signed_note_id": signed.id,
        "spare_appointment_id": spare_appointment.id, "cancel_appointment_id": to_cancel.id,
        "spare_client_id": spare.id, "started_id": started.id, "private_entry_id": private.id,
        "passkey_id": passkey.id, "thread_id": thread.id,
        "started_day": wall(started.starts_at, therapist.timezone).date().isoformat(),
        "user_id": stranger.id, "grant_id": grant.id, "step": STEPS[0],
        "filename": "css/portal.css",
        "start": free[0].astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    world.update(_tokens(therapist, client, stranger))
    people = {"client": client, "new client": newcomer, "therapist": therapist, "admin": admin}
    return world, people


def _tokens(therapist, client, stranger):
    """Live links of every kind (the stranger's password reset, email check and change)."""
    invite, feed = new_token(), new_token()
    db.session.add(Invitation(email="invited@example.org", therapist_id=therapist.id,
                              token_hash=token_hash(invite), created_at=utcnow(),
                              expires_at=utcnow() + timedelta(days=3)))
    client.calendar_token_hash = token_hash(feed)
    db.session.commit()
    fingerprint = accounts.password_fingerprint(stranger)
    return {
        "invite_token": invite, "feed_token": feed,
        "reset_token": accounts.make_token(accounts.RESET_SALT, uid=stranger.id, pw=fingerprint),
        "verify_token": accounts.make_token(accounts.VERIFY_SALT, uid=stranger.id,
                                            email=stranger.email),
        "email_change_token": accounts.make_token(
            accounts.CHANGE_EMAIL_SALT, uid=stranger.id, email="changed@example.org",
            pw=fingerprint),
    }


def browsers(app, people):
    """{visitor: test client}: each person signed in, nobody, and three people between the two
    steps of sign-in (password accepted: the code, the authenticator set-up, and a clinician
    who must replace the password an admin gave them)."""
    found = {name: signed_in(app, person) for name, person in people.items()}
    found["anonymous"] = app.test_client()
    found["anonymous"].get("/auth/login")
    half = factories.make_therapist()
    found["second step"] = _password_only(app, half)
    found["setting up"] = _password_only(app, factories.make_therapist(with_totp=False))
    must_change = factories.make_therapist(must_change_password=True)
    found["new password"] = _password_only(app, must_change)
    Auth(found["new password"]).post("/auth/mfa", {
        "code": next_totp(must_change.id, must_change.totp_secret)})
    return found


def _password_only(app, user):
    browser = app.test_client()
    Auth(browser).login(user.email, DEFAULT_PASSWORD)
    return browser
