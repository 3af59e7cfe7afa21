"""Logs and the audit table never hold PHI, passwords, tokens, cookies, TURN credentials or SDP.

Canary values are seeded into every such field and a scripted flow runs through the real app
(register, confirm, sign in, intake, booking, call signaling, a decision with a private note, a
password reset); then no canary may appear in any captured log record, in the formatted output
of the portal's own handler (JSON lines and text), or in any text column of audit_events.
"""
import io
import logging
import re
import uuid
from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import String, Text, select

from portal.core.vocabulary import SessionKind
from portal.extensions import db
from portal.models.audit import AuditEvent
from portal.models.consent import ConsentDocument
from portal.models.journal import JournalEntry
from portal.models.schedule import SessionType
from portal.models.user import User
from portal.scheduling import services
from tests.conftest import Auth, IsolatedClient
from tests.scheduling_helpers import (
    complete_consultation,
    make_appointment,
    session_type,
    weekly_hours,
)
from tests.test_therapist_review import ensure_consent_documents, step_answers
from tests.video_helpers import Participant, isolate_registry, video_appointment

CANARY = {
    "name": "Cnry-Name-a81f",
    "email": "cnry-b72e@example.com",
    "password": "cnry-pass-c63d-harbor-lantern",
    "new_password": "cnry-newpass-d54c-violet-river",
    "legal_name": "Cnry-Legal-e45b",
    "preferred_name": "Cnry-Pref-f36a",
    "address": "Cnry-Addr-0a27 Main St",
    "emergency": "Cnry-Emerg-1b18",
    "diagnoses": "Cnry-Diag-2c09",
    "treatment": "Cnry-Treat-3df0",
    "medication": "Cnry-Med-4ee1",
    "goals": "Cnry-Goals-5fd2",
    "concerns": "Cnry-Concern-60c3",
    "sdp": "Cnry-Sdp-71b4",
    "turn_secret": "Cnry-Turn-82a5",
    "private_note": "Cnry-Note-9396",
    "session_note": "Cnry-Session-a4b7",
    "addendum": "Cnry-Addendum-b5c8",
    "journal": "Cnry-Journal-c6d9",
    "worry": "Cnry-Worry-d7ea",
    "care_reason": "Cnry-Pause-e8fb",
    "client_note": "Cnry-ForClient-f90c",
    "confirm_reason": "Cnry-Confirm-0a1d",
    "override": "Cnry-Override-1b2e",
}
FINGERPRINT = "a=fingerprint:sha-256 " + ":".join(["AB"] * 32)
SDP = "\r\n".join(["v=0", "o=- 4611731400430051336 2 IN IP4 127.0.0.1", "s=-", "t=0 0",
                   "m=video 9 UDP/TLS/RTP/SAVPF 96", FINGERPRINT, "a=setup:actpass",
                   "a=mid:0", f"a=x-note:{CANARY['sdp']}", ""])
TEST_INFRA_LOGGERS = ("mail.log",)  # the loopback SMTP server of the tests, not the portal
LOGGERS = ("werkzeug", "engineio", "socketio", "engineio.server", "socketio.server")


@pytest.fixture(params=[True, False], ids=["json", "text"])
def app_config(request):
    return {"LOG_JSON": request.param, "TURN_URLS": ["turn:turn.example.com:3478"],
            "TURN_SECRET": CANARY["turn_secret"]}


class RecordingClient(IsolatedClient):
    """Keeps every response body so that CSRF tokens handed out can be looked for in logs."""

    bodies = None

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        if self.bodies is not None:
            self.bodies.append(response.get_data(as_text=True))
        return response


class Capture(logging.Handler):
    """Every record reaching the root logger: its raw message and args, and the rendering."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.texts = []

    def emit(self, record):
        if record.name.startswith(TEST_INFRA_LOGGERS):
            return
        try:
            rendered = record.getMessage()
        except Exception:  # keep the raw parts anyway
            rendered = ""
        self.texts.append(f"{record.name} {record.msg!r} {record.args!r} {rendered} "
                          f"{record.exc_text or ''}")


@pytest.fixture
def logs(app, caplog, monkeypatch):
    """Capture all log output: a root handler, caplog at DEBUG, the portal handler's stream."""
    capture = Capture()
    root = logging.getLogger()
    root.addHandler(capture)
    caplog.set_level(logging.DEBUG)
    for name in LOGGERS:
        monkeypatch.setattr(logging.getLogger(name), "level", logging.DEBUG)
    stream = io.StringIO()
    portal_handlers = [h for h in root.handlers if getattr(h, "_portal", False)]
    assert portal_handlers, "the portal's log handler is not installed"
    for handler in portal_handlers:
        monkeypatch.setattr(handler, "stream", stream)
    yield capture, caplog, stream
    root.removeHandler(capture)


def all_log_text(capture, caplog, stream):
    records = [r for r in caplog.records if not r.name.startswith(TEST_INFRA_LOGGERS)]
    portal_lines = [line for line in stream.getvalue().splitlines()
                    if not re.search(r'"logger": "mail\.|^\S+ \S+ \S+ mail\.', line)]
    parts = [*capture.texts, *portal_lines]
    parts += [f"{r.msg!r} {r.args!r} {r.getMessage()}" for r in records]
    return "\n".join(parts)


def audit_text():
    # read through the model: the encrypted detail and the opaque names as the portal sees them
    columns = [c for c in AuditEvent.__table__.columns
               if isinstance(getattr(c.type, "impl_instance", c.type), (String, Text))]
    rows = db.session.execute(select(*columns)).all()
    return "\n".join(" ".join(str(v) for v in row if v is not None) for row in rows)


def path_of(link):
    return urlsplit(link).path


def fill_intake_by_http(auth):
    """Every step through the real forms with canary free text, then submit."""
    answers = step_answers([1, 1, 1, 1, 1, 1, 0, 0, 0], [1, 1, 1, 0, 0, 0, 0],
                           ensure_consent_documents())
    answers["about"].update(legal_name=CANARY["legal_name"],
                            preferred_name=CANARY["preferred_name"],
                            address_line=CANARY["address"], emergency_name=CANARY["emergency"])
    answers["history"].update(diagnoses=CANARY["diagnoses"],
                              treatment_details=CANARY["treatment"])
    answers["medications"]["medications-0-name"] = CANARY["medication"]
    answers["goals"].update(goals=CANARY["goals"], concerns=CANARY["concerns"])
    for kind in [d.kind for d in ConsentDocument.current()]:
        answers["consents"][f"name_{kind}"] = CANARY["legal_name"]
    for step, data in answers.items():
        response = auth.post(f"/intake/{step}", {**data, "action": "next"})
        assert response.status_code == 302, (step, response.get_data(as_text=True)[:2000])
    assert auth.post("/intake/submit", {}, form_path="/intake/review").status_code == 302


def book_preparation(client_user, therapist):
    complete_consultation(client_user)  # preparation opens after a consultation
    weekly_hours(therapist)
    services.ensure_default_types(therapist)
    session_type = db.session.scalar(select(SessionType).where(
        SessionType.therapist_id == therapist.id,
        SessionType.kind == SessionKind.PREPARATION.value))
    zone = ZoneInfo(therapist.timezone)
    day = datetime.now(zone).date() + timedelta(days=8)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    start = datetime.combine(day, time(10), zone).astimezone(UTC)
    appointment = services.book(client_user, session_type, start, uuid.uuid4().hex)
    db.session.commit()
    return appointment


def test_no_canary_reaches_the_logs_or_the_audit_table(app, factories, mailbox, logs,
                                                       monkeypatch):
    bodies = []
    monkeypatch.setattr(RecordingClient, "bodies", bodies)
    app.test_client_class = RecordingClient
    isolate_registry(monkeypatch)
    therapist = factories.make_therapist()
    http = app.test_client()
    auth = Auth(http)
    secrets = list(CANARY.values())

    # Register, confirm the email (the link's token is a secret), sign in.
    response = auth.post("/auth/register", {
        "name": CANARY["name"], "email": CANARY["email"], "password": CANARY["password"],
        "confirm": CANARY["password"], "timezone": "Europe/London"})
    assert response.status_code == 200
    link = path_of(mailbox.last_link(CANARY["email"]))
    secrets.append(link.rsplit("/", 1)[-1])
    assert auth.post(link, {}).status_code == 302
    auth.login(CANARY["email"], "wrong-" + CANARY["password"])  # a failure is logged too
    assert auth.login(CANARY["email"], CANARY["password"]).status_code == 302
    client_user = db.session.scalar(select(User).where(User.email == CANARY["email"]))
    assert client_user.therapist_id == therapist.id

    fill_intake_by_http(auth)

    # The therapist decides, with a private note.
    clinician = Participant(app, therapist)
    clinician_auth = Auth(clinician.http)
    review = f"/therapist/clients/{client_user.id}/intake"
    # The answers raise an exclusion and a clearance flag: "eligible" names them, with a reason.
    listed = re.search(r'name="flags_listed" type="hidden" value="([^"]*)"',
                       clinician.http.get(review).get_data(as_text=True)).group(1)
    response = clinician_auth.post(f"{review}/decision", {
        "decision": "eligible", "private_note": CANARY["private_note"],
        "client_note": CANARY["client_note"], "confirm_flags": "y",
        "confirm_reason": CANARY["confirm_reason"], "flags_listed": listed}, form_path=review)
    assert response.status_code == 302

    book_preparation(client_user, therapist)

    # The therapist books an integration session (no dosing yet) with a canary reason.
    integration = session_type(therapist, SessionKind.INTEGRATION)
    booking = f"/therapist/clients/{client_user.id}/book/{integration.id}"
    # The last slot offered, days away: the first may be within the hour, where the video
    # session below (in 5 minutes) would overlap it.
    start = re.findall(r"confirm\?start=([^\"&]+)", clinician.http.get(booking).get_data(
        as_text=True))[-1].replace("%3A", ":")
    response = clinician_auth.post(booking, {"start": start, "idempotency_key": uuid.uuid4().hex,
                                             "override_reason": CANARY["override"]},
                                   form_path=f"{booking}/confirm?start={start}")
    assert response.status_code == 302

    # Video: both join, the client is admitted, an offer with a canary SDP line is relayed.
    appointment = video_appointment(client_user, located=True)
    patient = Participant(app, client_user, sign_in=False)
    patient.http = http
    for person in (patient, clinician):
        assert person.connect()
    assert clinician.join(appointment.id)["ok"]
    assert patient.join(appointment.id)["ok"]
    assert clinician.emit("admit", appointment_id=appointment.id) == {"ok": True}
    ice = [j["ice_servers"] for p in (patient, clinician) for j in p.received("joined")]
    assert ice and all(servers for servers in ice)
    secrets += [s["credential"] for servers in ice for s in servers]
    sent = {"type": "offer", "sdp": SDP}
    assert patient.emit("signal", appointment_id=appointment.id, data=sent) == {"ok": True}
    assert clinician.received("signal") == [{"from": "client", "data": sent}]
    patient.disconnect()
    clinician.disconnect()

    # The therapist's session note (autosaved, saved, signed, then an addendum).
    note_url = f"/therapist/appointments/{appointment.id}/note"
    assert clinician_auth.post(f"{note_url}/autosave", {"intentions": CANARY["session_note"]},
                               form_path=note_url).status_code == 200
    assert clinician_auth.post(note_url, {"intentions": CANARY["session_note"],
                                          "action": "sign"}).status_code == 302
    assert clinician_auth.post(f"{note_url}/addenda", {"text": CANARY["addendum"]},
                               form_path=note_url).status_code == 302

    # The client's journal entry, shared; a post-dosing check-in with a worry.
    today = datetime.now(UTC).date().isoformat()
    assert auth.post("/journal", {"written_on": today, "text": CANARY["journal"], "mood": "6"}
                     ).status_code == 302
    entry = db.session.scalar(select(JournalEntry).where(JournalEntry.client_id == client_user.id))
    assert auth.post(f"/journal/{entry.id}/share", {}, form_path="/journal").status_code == 302
    dosing = make_appointment(client_user, session_type(therapist, SessionKind.DOSING),
                              datetime.now(UTC) - timedelta(hours=20), status="completed")
    after = f"/checkins/after-dosing/{dosing.id}"
    assert auth.post(after, {"sleep": "poor", "mood": "5", "worry_text": CANARY["worry"],
                             "phq9_9": "0"}).status_code == 302

    # The therapist pauses the client's care, with a reason.
    page = f"/therapist/clients/{client_user.id}"
    assert clinician_auth.post(f"{page}/care-status", {"status": "paused",
                                                       "reason": CANARY["care_reason"]},
                               form_path=page).status_code == 302

    # Password reset: the emailed token is a secret too.
    auth.logout()
    auth.post("/auth/reset", {"email": CANARY["email"]})
    link = path_of(mailbox.last_link(CANARY["email"]))
    secrets.append(link.rsplit("/", 1)[-1])
    response = auth.post(link, {"password": CANARY["new_password"],
                                "confirm": CANARY["new_password"]})
    assert response.status_code == 302
    assert auth.login(CANARY["email"], CANARY["new_password"]).status_code == 302

    # Cookies and every CSRF token handed out are secrets as well.
    for browser in (http, clinician.http):
        for name in ("portal_session", app.config["SESSION_COOKIE_NAME"]):
            cookie = browser.get_cookie(name)
            if cookie is not None:
                secrets.append(cookie.value)
    csrf = set(re.findall(r'name="(?:[a-z0-9]+-)?csrf_token"[^>]*value="([^"]+)"',
                          "\n".join(bodies)))
    assert csrf and any(len(s) > 20 for s in secrets[len(CANARY):])
    secrets += sorted(csrf)

    logged = all_log_text(*logs)
    assert logged.strip(), "nothing was captured: the capture is broken"
    audited = audit_text()
    assert "intake_decision" in audited
    for secret in secrets:
        assert secret not in logged, f"leaked to the logs: {secret!r}"
        assert secret not in audited, f"leaked to the audit table: {secret!r}"

    # No health information in any email of the flow (whole messages, HTML parts included);
    # the person's own name and address and the reset link are what emails are for.
    emails = ["\n".join([str(m["Subject"])] + [part.get_content() for part in m.walk()
                                               if part.get_content_maintype() == "text"])
              for m in mailbox.messages]  # decoded: a base64 or quoted-printable body hides text
    assert len(emails) >= 4, "the flow sent fewer emails than expected: the check is hollow"
    assert any(CANARY["name"] in text for text in emails), "bodies not decoded: check is hollow"
    not_for_email = set(CANARY) - {"name", "email", "password", "new_password", "turn_secret"}
    for key in sorted(not_for_email):
        assert not any(CANARY[key] in text for text in emails), f"{key} was emailed"


@pytest.mark.parametrize("app_config", [{"LOG_JSON": True}, {"LOG_JSON": False}],
                         ids=["json", "text"])
def test_the_capture_sees_a_leak_when_there_is_one(app, client, logs):
    """Control: a canary logged by portal code (args, in a request) is found by the checks."""
    with app.test_request_context("/"):
        logging.getLogger("portal.control").info("name=%s", CANARY["name"])
    logging.getLogger("socketio.server").debug("sdp %s", CANARY["sdp"])
    capture, caplog, stream = logs
    assert CANARY["name"] in stream.getvalue()
    logged = all_log_text(capture, caplog, stream)
    assert CANARY["name"] in logged and CANARY["sdp"] in logged
