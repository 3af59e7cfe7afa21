"""The relay events' cached authorisation (portal/video/grants.py): fast, and never stale where
this process can know better. Signals, chat, media states and heartbeats reuse a grant taken
from the database at most REVALIDATE_SECONDS ago; admission changes, leaving, cancelling and the
wall clock take effect on the very next event."""
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import event, update

from portal.core.time import utcnow
from portal.extensions import db
from portal.models.schedule import Appointment
from portal.models.user import User, UserSession
from portal.video import grants
from tests.conftest import Auth
from tests.factories import DEFAULT_PASSWORD
from tests.video_helpers import Participant, in_call, isolate_registry, video_appointment

BYE = {"type": "bye"}


@pytest.fixture(autouse=True)
def fresh_registry(monkeypatch):
    return isolate_registry(monkeypatch)


@pytest.fixture
def call(app, therapist, client_user):
    appointment = video_appointment(client_user)
    client, clinician = in_call(app, appointment, client_user, therapist)
    return appointment.id, client, clinician


class Statements:
    """SQL statements run while the block is open (every connection of the engine)."""

    def __enter__(self):
        self.count = self.selects = 0
        event.listen(db.engine, "before_cursor_execute", self._count)
        return self

    def _count(self, _conn, _cursor, statement, *args):
        self.count += 1
        self.selects += statement.lstrip().upper().startswith("SELECT")

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._count)


def signal(person, appointment_id):
    return person.emit("signal", appointment_id=appointment_id, data=BYE)


def test_relay_events_reuse_a_fresh_grant_without_touching_the_database(call):
    appointment_id, client, clinician = call
    assert signal(client, appointment_id) == {"ok": True}  # takes the grant
    with Statements() as sql:
        for _ in range(5):
            assert signal(client, appointment_id) == {"ok": True}
        assert client.emit("heartbeat", appointment_id=appointment_id) == {"ok": True}
    assert sql.count == 0
    assert len(clinician.received("signal")) == 6


def test_an_old_grant_is_checked_again_against_the_database(call, monkeypatch):
    appointment_id, client, _ = call
    monkeypatch.setattr(grants, "REVALIDATE_SECONDS", 0.0)
    signal(client, appointment_id)
    with Statements() as sql:
        assert signal(client, appointment_id) == {"ok": True}
    # the full check: the portal session with its user, then the appointment with its call
    # (and so the admission) in one query
    assert sql.selects == 2


def test_a_grant_covers_only_its_own_appointment(app, call, factories):
    appointment_id, client, clinician = call
    signal(client, appointment_id)
    other = video_appointment(factories.make_client(factories.make_therapist()))
    client.emit("signal", appointment_id=other.id, data=BYE)
    assert "not_allowed" in client.errors() and not client.connected


def test_sending_back_stops_signals_at_once_even_with_a_fresh_grant(call):
    appointment_id, client, clinician = call
    assert signal(client, appointment_id) == {"ok": True}
    assert clinician.emit("send_back", appointment_id=appointment_id) == {"ok": True}
    clinician.received()
    signal(client, appointment_id)
    assert client.errors() == ["not_admitted"] and clinician.received("signal") == []


def test_cancelling_closes_the_room_at_once(call):
    appointment_id, client, clinician = call
    signal(client, appointment_id), signal(clinician, appointment_id)
    page = clinician.http.get(f"/appointments/{appointment_id}/cancel")
    token = page.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1]
    response = clinician.http.post(f"/appointments/{appointment_id}/cancel",
                                   data={"csrf_token": token.split('"')[0], "message": ""})
    assert response.status_code == 302
    for person in (client, clinician):
        assert not person.connected and "room_closed" in person.errors()


def test_the_wall_clock_ends_a_fresh_grant(call):
    appointment_id, client, _ = call
    appointment = db.session.get(Appointment, appointment_id)
    assert signal(client, appointment_id) == {"ok": True}
    with time_machine.travel(appointment.ends_at + timedelta(minutes=31), tick=True):
        client.emit("heartbeat", appointment_id=appointment_id)
    # the room closed (and by then the idle session too: either refusal closes the socket)
    assert not client.connected and set(client.errors()) & {"not_allowed", "signed_out"}


def test_a_session_ended_elsewhere_is_refused_once_the_grant_is_old(call, monkeypatch):
    """Another server process revoked the session (no disconnect reaches this one): the grant
    holds for at most REVALIDATE_SECONDS, then the check against the database refuses."""
    appointment_id, client, _ = call
    signal(client, appointment_id)
    db.session.execute(update(UserSession).where(UserSession.user_id == client.id)
                       .values(revoked_at=utcnow(), revoke_reason="password_changed"))
    db.session.commit()  # as another process would: no socket of this one is told
    assert signal(client, appointment_id) == {"ok": True}  # within the grant's seconds
    monkeypatch.setattr(grants, "REVALIDATE_SECONDS", 0.0)
    signal(client, appointment_id)
    assert not client.connected and "signed_out" in client.errors()


def test_grants_expire_with_the_idle_timeout(app, call):
    appointment_id, client, _ = call
    signal(client, appointment_id)
    later = datetime.now(UTC) + app.config["SESSION_IDLE_TIMEOUT"] + timedelta(seconds=5)
    with time_machine.travel(later, tick=True):
        signal(client, appointment_id)
    assert not client.connected and "signed_out" in client.errors()


def test_sessions_revoked_in_this_process_close_their_sockets_at_once(app, call):
    """A password change (here in a second browser) ends the person's other sessions: their
    open sockets close as the request finishes, without waiting for a grant to age or the
    sweeper."""
    appointment_id, client, clinician = call
    signal(client, appointment_id)
    other_browser = Participant(app, db.session.get(User, client.id))
    auth = Auth(other_browser.http)
    token = auth.csrf("/account")
    new_password = "a brand new passphrase for the portal"
    response = other_browser.http.post("/account/password", data={
        "pw-csrf_token": token, "pw-current": DEFAULT_PASSWORD, "pw-password": new_password,
        "pw-confirm": new_password})
    assert response.status_code == 302
    db.session.expire_all()
    assert not client.connected and client.errors() == ["signed_out"]
    assert clinician.connected and clinician.received("peer_left") == [{"role": "client"}]


def test_an_admission_given_through_another_process_counts_at_once(app, client_user):
    """The client's grant was taken in the waiting room; the therapist admitted through another
    server process (only the database and Redis tell): the client's next signal is checked
    again rather than refused from the cache."""
    from portal.models.call import Call
    appointment = video_appointment(client_user, located=True)
    client = Participant(app, client_user)
    assert client.connect() and client.join(appointment.id)["state"] == "waiting"
    signal(client, appointment.id)
    assert client.errors() == ["not_admitted"]
    db.session.execute(update(Call).where(Call.appointment_id == appointment.id)
                       .values(client_admitted_at=utcnow()))
    db.session.commit()
    assert signal(client, appointment.id) == {"ok": True}
