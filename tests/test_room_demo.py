"""The demo practice of `make run` (issue 11 §8): `flask seed-demo` builds it once, every run
keeps Jordan's video session open for a call now, and the demo client can join at once."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.care.arc import stage_of
from portal.core.time import utcnow
from portal.core.vocabulary import Stage
from portal.extensions import db
from portal.models.audit import AuditEvent
from portal.models.call import Call
from portal.models.journal import JournalEntry
from portal.models.measure import MeasureResult, SafetyFlag
from portal.models.notes import SessionNote
from portal.models.schedule import Appointment, AvailabilityRule
from portal.models.user import User
from portal.ops import demo
from portal.video import access
from tests.conftest import Auth, csrf_from
from tests.video_helpers import NOTIFY, Participant, isolate_registry

TABLES = (User, Appointment, AvailabilityRule, MeasureResult, SafetyFlag, SessionNote,
          JournalEntry)


@pytest.fixture(autouse=True)
def fresh_registry(monkeypatch):
    return isolate_registry(monkeypatch)


def counts():
    db.session.expire_all()
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in TABLES}


def user(email):
    return db.session.scalar(select(User).where(User.email == email))


def demo_session():
    return db.session.scalar(select(Appointment).where(
        Appointment.idempotency_key == demo.SESSION_KEY))


class DemoPerson(Participant):
    """A demo account signing in with its own printed password (and the demo TOTP key)."""

    def sign_in(self):
        auth = Auth(self.http)
        secret = demo.DEMO_TOTP_SECRET if self.email == demo.THERAPIST else None
        response = auth.login(self.email, demo.DEMO_PASSWORDS[self.email], totp_secret=secret)
        assert response.status_code == 302 and "/auth/" not in response.headers["Location"]


def test_seed_demo_twice_builds_the_practice_once(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "jordan@example.com" in first.output and "Try a video call" in first.output
    built = counts()
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0 and "already exist" in second.output
    assert counts() == built
    assert built["User"] == 5 and built["AvailabilityRule"] == 5
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.event == "demo_seeded")) == 2  # the therapist, then the clients: once


def test_the_demo_clients_stand_at_different_stages_of_the_arc(app):
    demo.seed()
    stages = {email: stage_of(user(email)) for email, *_ in demo.CLIENTS}
    assert stages == {"sam@example.com": Stage.CONSULTATION,
                      "alex@example.com": Stage.INTAKE_SUBMITTED,
                      "jordan@example.com": Stage.PREPARING,
                      "riley@example.com": Stage.INTEGRATING}
    jordan, alex, riley = (user(f"{n}@example.com") for n in ("jordan", "alex", "riley"))
    phq9 = db.session.scalar(select(func.count()).select_from(MeasureResult).where(
        MeasureResult.client_id == jordan.id, MeasureResult.instrument == "phq9"))
    assert phq9 >= 4  # a chart with a line
    assert {f.code for f in db.session.scalars(select(SafetyFlag).where(
        SafetyFlag.client_id == alex.id))} >= {"blood_pressure", "benzodiazepine"}
    assert db.session.scalar(select(SafetyFlag.kind).where(
        SafetyFlag.client_id == riley.id, SafetyFlag.acknowledged_at.is_(None))) == "item9"


def test_every_start_opens_jordans_room_for_now(app):
    start = utcnow()
    first, _ = demo.seed(now=start)
    jordan_id, session_id = user(demo.DEMO_CLIENT).id, first.id
    assert access.closed_reason(first, jordan_id, start) is None

    later = start + timedelta(days=2, hours=3)  # the next `make run`: the old window is gone
    db.session.add(Call(appointment_id=session_id, client_admitted_at=start,
                        location_confirmed_at=start))
    db.session.commit()
    moved, created = demo.seed(now=later)
    assert created == [] and moved.id == session_id
    assert moved.starts_at > later and moved.starts_at - later <= timedelta(minutes=10)
    assert access.closed_reason(moved, jordan_id, later) is None
    assert db.session.scalar(select(Call).where(Call.appointment_id == session_id)) is None

    during = moved.starts_at + timedelta(minutes=5)  # a restart during the call: kept
    assert demo.seed(now=during)[0].starts_at == moved.starts_at


def test_the_demo_client_can_join_right_after_seeding(app):
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    session_id = demo_session().id
    therapist = DemoPerson(app, user(demo.THERAPIST))
    jordan = DemoPerson(app, user(demo.DEMO_CLIENT))
    assert therapist.connect(NOTIFY)

    home = jordan.http.get("/home").get_data(as_text=True)
    assert f'href="/sessions/{session_id}"' in home  # "Join" on the home page
    room = jordan.http.get(f"/sessions/{session_id}")
    assert room.headers["Location"].endswith(f"/sessions/{session_id}/location")
    form = jordan.http.get(f"/sessions/{session_id}/location").get_data(as_text=True)
    assert jordan.http.post(f"/sessions/{session_id}/location", data={
        "csrf_token": csrf_from(form), "location": "Portland, Maine",
        "phone": "+1 207 555 0100"}).status_code == 302
    assert jordan.connect() and jordan.join(session_id) == {"ok": True, "state": "waiting"}
    [change] = therapist.received("waiting_changed", namespace=NOTIFY)
    assert change["count"] == 1 and change["arrival"]["first_name"] == "Jordan"

    assert therapist.connect() and therapist.join(session_id)["state"] == "in_call"
    assert therapist.emit("admit", appointment_id=session_id) == {"ok": True}
    assert jordan.received("admitted") == [{}]


def test_the_demo_practice_renders_for_the_therapist_and_each_client(app):
    demo.seed()
    therapist = DemoPerson(app, user(demo.THERAPIST))
    pages = ["/therapist/dashboard", "/therapist/clients", "/therapist/calendar"]
    for email, *_ in demo.CLIENTS:
        client_id = user(email).id
        pages += [f"/therapist/clients/{client_id}", f"/therapist/clients/{client_id}/intake"]
    for page in pages:
        response = therapist.http.get(page)
        assert response.status_code == 200, page
    for email, *_ in demo.CLIENTS:
        person = DemoPerson(app, user(email))
        assert person.http.get("/home").status_code == 200, email
