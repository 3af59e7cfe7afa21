"""A demo practice for `make run` (development only; `flask seed-demo` refuses production).

Idempotent: each person is created once, with their story; running it again changes nothing
but one thing. Jordan's video session is moved so that its room is open whenever `make run`
starts (it begins a few minutes from now), so a newcomer can try a call at once: the therapist
in one browser window, Jordan in another (README, "Try a video call").

The practice: Dr. Robin Hale (therapist, TOTP), working Monday to Friday 9:00–17:00, and clients
at different stages of the arc: Sam (consultation, intake begun), Alex (intake submitted, with
contraindication flags, waiting for review), Jordan (preparing; a session now) and Riley
(integrating after a dosing session, with an open PHQ-9 item 9 flag from a check-in).
"""
from datetime import time, timedelta

from sqlalchemy import select

from portal.core.time import utcnow
from portal.core.vocabulary import (
    AppointmentStatus,
    Decision,
    FlagKind,
    Role,
    SessionKind,
    Source,
)
from portal.extensions import db
from portal.models.call import Call
from portal.models.measure import SafetyFlag
from portal.models.schedule import Appointment, AvailabilityRule
from portal.models.user import User
from portal.ops import demo_care as care
from portal.scheduling.services import ensure_default_types
from portal.security import mfa
from portal.security.audit import record
from portal.security.passwords import hash_password

THERAPIST = "robin@example.com"
DEMO_PASSWORDS = {
    THERAPIST: "calm-harbor-lantern-42",
    "jordan@example.com": "gentle-tide-orchard-63",
    "alex@example.com": "quiet-meadow-violin-17",
    "sam@example.com": "amber-river-compass-58",
    "riley@example.com": "silver-fern-kettle-29",
}
# A fixed key so the demo therapist can add it to an authenticator once and keep it.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105 (demo only, refused in production)
DEMO_CLIENT = "jordan@example.com"
SESSION_KEY = "demo-video-session"  # Jordan's session that `make run` keeps open
CLIENTS = [  # email, name, zone, (born), city, state, emergency contact
    ("sam@example.com", "Sam Okafor", "Europe/London", (1992, 3, 8), "London", "UK",
     ("Ada Okafor", "sister", "+44 20 7946 0018")),
    ("alex@example.com", "Alex Rivera", "America/Chicago", (1985, 11, 2), "Chicago", "IL",
     ("Jamie Rivera", "partner", "+1 312 555 0142")),
    (DEMO_CLIENT, "Jordan Lee", "America/New_York", (1990, 6, 21), "Portland", "ME",
     ("Morgan Lee", "brother", "+1 207 555 0177")),
    ("riley@example.com", "Riley Chen", "America/Los_Angeles", (1979, 1, 30), "Oakland", "CA",
     ("Dana Chen", "spouse", "+1 510 555 0163")),
]


def seed(now=None):
    """Create what is missing and open Jordan's room; returns (Jordan's session, the emails of
    the people created now)."""
    now = now or utcnow()
    therapist, created = _therapist(now), []
    ensure_default_types(therapist)
    if not db.session.scalar(select(AvailabilityRule.id).where(
            AvailabilityRule.therapist_id == therapist.id)):
        db.session.add_all(AvailabilityRule(therapist_id=therapist.id, weekday=day,
                                            start_time=time(9), end_time=time(17))
                           for day in range(5))
    for email, name, zone, born, city, state, contact in CLIENTS:
        client = db.session.scalar(select(User).where(User.email == email))
        if client is None:
            client = User(email=email, name=name, role=Role.CLIENT.value, timezone=zone,
                          therapist=therapist, email_verified_at=now,
                          password_hash=hash_password(DEMO_PASSWORDS[email]),
                          created_at=now - timedelta(days=60))
            db.session.add(client)
            db.session.flush()
            STORIES[email](client, therapist, now, care.about(client, born, city, state, contact))
            created.append(email)
    if created:
        record("demo_seeded", detail=",".join(created))
    session = open_demo_session(therapist, now)
    db.session.commit()
    return session, created


def _therapist(now):
    therapist = db.session.scalar(select(User).where(User.email == THERAPIST))
    if therapist is None:
        therapist = User(email=THERAPIST, name="Dr. Robin Hale", role=Role.THERAPIST.value,
                         timezone="America/New_York", email_verified_at=now, mfa_enabled_at=now,
                         password_hash=hash_password(DEMO_PASSWORDS[THERAPIST]))
        mfa.store_secret(therapist, DEMO_TOTP_SECRET)
        db.session.add(therapist)
        db.session.flush()
        record("demo_seeded", detail=THERAPIST)
    return therapist


def open_demo_session(therapist, now):
    """Jordan's video session, moved to start in 5 minutes unless its room is open now and it
    began less than 10 minutes ago (a call may be running). A moved session starts afresh:
    booked, no call record. It never overlaps another of the therapist's sessions."""
    client = db.session.scalar(select(User).where(User.email == DEMO_CLIENT))
    session = db.session.scalar(select(Appointment).where(
        Appointment.client_id == client.id, Appointment.idempotency_key == SESSION_KEY))
    fresh = (session is not None and session.status == AppointmentStatus.BOOKED.value
             and session.starts_at - timedelta(minutes=15) <= now
             <= session.starts_at + timedelta(minutes=10))
    if fresh:
        return session
    start = now.replace(second=0, microsecond=0) + timedelta(minutes=5)
    if session is None:
        return care.session(client, therapist, SessionKind.PREPARATION,
                            _free(therapist, start, timedelta(minutes=60)),
                            status=AppointmentStatus.BOOKED, key=SESSION_KEY)
    db.session.execute(Call.__table__.delete().where(Call.appointment_id == session.id))
    length, after = session.ends_at - session.starts_at, session.block_end - session.ends_at
    start = _free(therapist, start, length + after, ignore=session.id)
    session.starts_at = session.block_start = start
    session.ends_at = start + length
    session.block_end = session.ends_at + after
    session.status, session.status_changed_at, session.updated_at = (
        AppointmentStatus.BOOKED.value, None, now)
    record("demo_session_moved", obj=("appointment", session.id))
    return session


def _free(therapist, start, length, ignore=None):
    """`start`, or the end of whatever of the therapist's live sessions [start, start + length)
    would overlap (the database refuses overlapping blocks on PostgreSQL)."""
    while True:
        end = start + length
        clash = db.session.scalar(select(Appointment).where(
            Appointment.therapist_id == therapist.id, Appointment.id != (ignore or 0),
            Appointment.status != AppointmentStatus.CANCELLED.value,
            Appointment.block_start < end, Appointment.block_end > start))
        if clash is None:
            return start
        start = clash.block_end


# --- each client's story ------------------------------------------------------------------------
def _sam(client, therapist, now, about):
    care.draft_intake(client, about, now - timedelta(days=1))


def _alex(client, therapist, now, about):
    care.intake(client, about, now - timedelta(days=2), measured=((2, 2, 1, 2, 1, 2, 1, 1, 0),
                                                                   (2, 2, 1, 2, 1, 1, 2)),
                overrides={"medical": {"bp_systolic": "152", "bp_diastolic": "96",
                                       "bp_controlled": "no"},
                           "medications": {"benzodiazepines": "yes"}})


def _jordan(client, therapist, now, about):
    care.intake(client, about, now - timedelta(days=40), decision=Decision.ELIGIBLE,
                therapist=therapist, measured=((3, 2, 2, 2, 1, 2, 2, 1, 0), (2, 3, 2, 2, 1, 2, 2)))
    care.sign_consents(client, now - timedelta(days=39))
    care.checkins(client, now, [(25, (2, 2, 2, 2, 1, 2, 1, 1, 0), (2, 2, 2, 1, 1, 2, 1)),
                                (12, (2, 1, 1, 2, 1, 1, 1, 1, 0), (1, 2, 1, 1, 1, 1, 1)),
                                (3, (1, 1, 1, 1, 0, 1, 1, 0, 0), (1, 1, 1, 1, 0, 1, 1))])
    first = care.session(client, therapist, SessionKind.PREPARATION,
                         _past(now, days=10, hour=15))
    care.note(first, therapist, {"intentions": "To meet the heaviness with curiosity.",
                                 "set_and_setting": "Home office, blanket, eyeshade, playlist.",
                                 "concerns": "Fear of losing control; we practised grounding."},
              signed=True)
    care.journal(client, now.date(), [
        (9, "After our first session I walked by the river. Lighter than in weeks.", 6, True),
        (4, "Hard day. Wrote instead of cancelling plans.", 4, False),
        (1, "Ready-ish for tomorrow. Packed the blanket and the playlist.", 7, True)])


def _riley(client, therapist, now, about):
    care.intake(client, about, now - timedelta(days=50), decision=Decision.ELIGIBLE,
                therapist=therapist, measured=((3, 3, 2, 2, 2, 3, 2, 1, 0), (3, 2, 2, 3, 2, 2, 2)))
    care.sign_consents(client, now - timedelta(days=49))
    care.session(client, therapist, SessionKind.PREPARATION, _past(now, days=20, hour=14))
    dosing = care.session(client, therapist, SessionKind.DOSING, _past(now, days=3, hour=13))
    care.note(dosing, therapist, {"intentions": "Let the grief move."}, signed=False)
    care.session(client, therapist, SessionKind.INTEGRATION, _past(now, days=-4, hour=17),
                 status=AppointmentStatus.BOOKED)
    care.checkins(client, now, [(30, (3, 2, 2, 2, 2, 2, 2, 1, 0), (2, 2, 2, 2, 2, 2, 2)),
                                (1, (1, 1, 2, 1, 1, 2, 1, 1, 1), (1, 1, 1, 1, 1, 1, 1))])
    db.session.add(SafetyFlag(client_id=client.id, kind=FlagKind.ITEM9.value, severity="urgent",
                              code="phq9_item9", source=Source.CHECKIN.value,
                              created_at=now - timedelta(days=1)))
    care.journal(client, now.date(), [
        (2, "Saw my dad's face clearly for the first time in years. Cried, then slept.", 5, True)])


def _past(now, days, hour):
    """A whole hour `days` ago (negative: ahead), at `hour` UTC."""
    return (now - timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)


STORIES = {"sam@example.com": _sam, "alex@example.com": _alex, DEMO_CLIENT: _jordan,
           "riley@example.com": _riley}
