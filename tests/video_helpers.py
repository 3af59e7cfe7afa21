"""Video test data and people: a video appointment near now, and a participant who signs in
through the real forms and holds /video (and /notify) sockets of Flask-SocketIO's test client.

Socket calls run like requests in production: the test's own transaction ends first (SQLite
transactions hold the write lock) and the handler runs in a fresh context, so it pushes an app
context (its own `g` and database session) instead of borrowing the test's.
"""
import contextvars
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from portal.core.vocabulary import AppointmentStatus, SessionKind
from portal.extensions import db, socketio
from portal.models.call import call_for
from portal.models.schedule import Appointment, SessionType
from portal.models.user import User
from portal.scheduling import services
from portal.video import events, grants
from portal.video import registry as registry_module
from tests.conftest import Auth, next_totp
from tests.factories import DEFAULT_PASSWORD

NS = "/video"
NOTIFY = "/notify"


def isolated(call, *args, **kwargs):
    """Run `call` (a socket connect, emit, disconnect, sweep) as if it came from elsewhere."""
    db.session.commit()
    result = contextvars.Context().run(call, *args, **kwargs)
    db.session.expire_all()
    return result


def isolate_registry(monkeypatch):
    """A fresh socket registry for one test, without the background sweeper (tests call
    `sweep_once` themselves); the process-wide registry would carry sockets between tests."""
    fresh = registry_module.Registry()
    monkeypatch.setattr(fresh, "start_sweeper", lambda app: None)
    monkeypatch.setattr(registry_module, "registry", fresh)
    monkeypatch.setattr(events, "registry", fresh)
    monkeypatch.setattr(grants, "registry", fresh)
    return fresh


def video_appointment(client, starts_in=timedelta(minutes=5), kind=SessionKind.PREPARATION,
                      status=AppointmentStatus.BOOKED, start=None, located=False):
    """An appointment of the client with their therapist, written straight to the table
    (booking's gates and notice do not apply). Preparation and integration are video sessions;
    dosing is in person. `located`: the client has already confirmed where they are (the
    location step a client passes before joining)."""
    therapist = db.session.get(User, client.therapist_id)
    services.ensure_default_types(therapist)
    session_type = db.session.scalar(select(SessionType).where(
        SessionType.therapist_id == therapist.id, SessionType.kind == SessionKind(kind).value))
    start = start or (datetime.now(UTC) + starts_in).replace(microsecond=0)
    end = start + timedelta(minutes=session_type.duration_min)
    appointment = Appointment(
        therapist_id=therapist.id, client_id=client.id, session_type_id=session_type.id,
        kind=session_type.kind, modality=session_type.modality, location=session_type.location,
        starts_at=start, ends_at=end,
        block_start=start - timedelta(minutes=session_type.buffer_before_min),
        block_end=end + timedelta(minutes=session_type.buffer_after_min),
        status=AppointmentStatus(status).value, idempotency_key=uuid.uuid4().hex)
    db.session.add(appointment)
    db.session.commit()
    if located:
        confirm_location(appointment)
    return appointment


def confirm_location(appointment, location="Portland, Oregon", phone="+1 503 555 0134",
                     country="US"):
    """What the location step stores: the client is here, reachable there, for this session."""
    call = call_for(appointment.id)
    call.client_location, call.client_phone, call.client_country = location, phone, country
    call.location_confirmed_at = datetime.now(UTC)
    db.session.commit()
    return call


class Participant:
    """A person in a browser: a Flask test client signed in through the forms, plus sockets."""

    def __init__(self, app, user, sign_in=True):
        self.app = app
        self.id, self.email = user.id, user.email
        self.totp_secret = getattr(user, "totp_secret", None)
        self.http = app.test_client()
        self.socket = self.notify = None
        if sign_in:
            self.sign_in()

    def sign_in(self):
        code = next_totp(self.id, self.totp_secret) if self.totp_secret else None
        response = Auth(self.http).login(self.email, DEFAULT_PASSWORD, code=code)
        assert response.status_code == 302, "sign-in failed"

    def sign_out(self):
        return Auth(self.http).logout()

    # --- sockets ------------------------------------------------------------------------------
    def connect(self, namespace=NS):
        """Open a new socket (a page load or a reconnect); True when the server accepted it."""
        sock = isolated(socketio.test_client, self.app, namespace=namespace,
                        flask_test_client=self.http)
        if namespace == NOTIFY:
            self.notify = sock
        else:
            self.socket = sock
        return sock.is_connected(namespace)

    @property
    def connected(self):
        return self.socket is not None and self.socket.is_connected(NS)

    def disconnect(self):
        isolated(self.socket.disconnect, NS)

    def emit(self, event, message=None, **fields):
        """Send an event; returns the server's acknowledgement."""
        payload = dict(message or {}, **fields)
        return isolated(self.socket.emit, event, payload, namespace=NS, callback=True)

    def join(self, appointment_id, **extra):
        return self.emit("join", appointment_id=appointment_id, **extra)

    def received(self, name=None, namespace=NS, sock=None):
        """The payloads of events received since the last look (readable after a disconnect
        too), optionally only those named `name`; as (name, payload) pairs without `name`."""
        sock = sock or (self.notify if namespace == NOTIFY else self.socket)
        mine = [e for e in sock.queue if e["namespace"] == namespace]
        sock.queue = [e for e in sock.queue if e["namespace"] != namespace]
        pairs = [(e["name"], e["args"][0] if e["args"] else None) for e in mine]
        return [p for n, p in pairs if n == name] if name else pairs

    def errors(self):
        return [p["code"] for p in self.received("error")]


def in_call(app, appointment, client, therapist):
    """Both participants signed in, joined (the client after confirming their location) and
    the client admitted; queues emptied."""
    if not call_for(appointment.id).located:
        confirm_location(appointment)
    people = Participant(app, client), Participant(app, therapist)
    for person in people:
        assert person.connect()
    people[1].join(appointment.id)
    people[0].join(appointment.id)
    assert people[1].emit("admit", appointment_id=appointment.id) == {"ok": True}
    for person in people:
        person.received()
    return people
