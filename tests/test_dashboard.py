"""The therapist dashboard: urgent flags first (with acknowledge), sessions today and tomorrow
in the therapist's zone with join buttons and waiting-room status, intakes to review, dosing
sessions in the next 72 hours with readiness answers, clients quiet for 14 days; one query per
section whatever the number of clients."""
import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from portal.core import crypto
from portal.core.time import utcnow
from portal.core.vocabulary import AppointmentStatus, SessionKind
from portal.extensions import db
from portal.models.audit import AuditEvent
from portal.models.measure import MeasureResult, SafetyFlag
from portal.models.schedule import DosingReadiness
from tests.conftest import section, signed_in
from tests.factories import DEFAULT_PASSWORD
from tests.scheduling_helpers import decide, open_item9_flag, submit_intake
from tests.video_helpers import isolate_registry, video_appointment

URL = "/therapist/dashboard"
ZONE = "America/New_York"
READY = {"fasting": "yes", "ride_arranged": "yes", "ride_who": "Sam, my partner",
         "no_alcohol_benzos": "yes", "notes": ""}


@pytest.fixture
def therapist_details():
    """Today and tomorrow are days in the therapist's zone."""
    return {"timezone": ZONE}


def page(app, therapist):
    response = signed_in(app, therapist).get(URL)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def exclusion_flag(client, code="pregnancy", severity="exclude", created_at=None):
    flag = SafetyFlag(client_id=client.id, kind="contraindication", severity=severity, code=code,
                      source="intake", created_at=created_at or utcnow())
    db.session.add(flag)
    db.session.commit()
    return flag


def day_start(zone=ZONE):
    """Midnight today in `zone`, as a UTC instant."""
    tz = ZoneInfo(zone)
    return datetime.combine(datetime.now(tz).date(), time(), tzinfo=tz).astimezone(UTC)


def checkin(client, days_ago, source="checkin"):
    db.session.add(MeasureResult(client_id=client.id, instrument="phq9", source=source,
                                 result={"total": 4, "band": "minimal"},
                                 taken_at=utcnow() - timedelta(days=days_ago)))
    db.session.commit()


def old_client(factories, therapist, name, days=30):
    return factories.make_client(therapist, name=name,
                                 created_at=utcnow() - timedelta(days=days))


# --- access and wiring ----------------------------------------------------------------------
def test_home_sends_clinicians_to_the_dashboard_with_a_nav_link(app, therapist):
    browser = signed_in(app, therapist)
    response = browser.get("/home")
    assert response.status_code == 302 and response.headers["Location"] == URL
    html = browser.get(URL).get_data(as_text=True)
    assert f'href="{URL}" aria-current="page">Dashboard' in html


def test_clients_cannot_open_the_dashboard(app, client, auth, client_user):
    auth.login(client_user.email, DEFAULT_PASSWORD)
    assert client.get(URL).status_code == 403


def test_opening_the_dashboard_is_audited(app, therapist):
    page(app, therapist)
    assert db.session.query(AuditEvent).filter_by(event="dashboard_viewed",
                                                  actor_id=therapist.id).count() == 1


# --- urgent flags ---------------------------------------------------------------------------
def test_urgent_flags_come_first_item9_before_exclusions(app, factories, therapist):
    early = old_client(factories, therapist, "Early Exclusion")
    later = old_client(factories, therapist, "Later Item Nine")
    exclusion_flag(early, created_at=utcnow() - timedelta(days=2))
    open_item9_flag(later)
    html = page(app, therapist)
    assert html.index('id="flags"') < html.index('id="sessions"') < html.index('id="intakes"')
    flags = section(html, "flags")
    assert flags.index("Later Item Nine") < flags.index("Early Exclusion")
    assert "PHQ-9 item 9 above 0" in flags and "Pregnancy" in flags


def test_only_open_urgent_and_exclusion_flags_of_own_clients_show(app, factories, therapist):
    mine = old_client(factories, therapist, "Own Client")
    other = factories.make_client(name="Someone Elses")
    done = open_item9_flag(old_client(factories, therapist, "Acknowledged Already"))
    done.acknowledged_at = utcnow()
    db.session.commit()
    exclusion_flag(mine, code="benzodiazepines", severity="caution")
    open_item9_flag(other)
    flags = section(page(app, therapist), "flags")
    assert "No open urgent flags." in flags
    for name in ("Own Client", "Someone Elses", "Acknowledged Already"):
        assert name not in flags


def test_the_dashboard_decrypts_a_flags_answer_only_when_its_title_quotes_it(
        app, factories, therapist, monkeypatch):
    quoted = open_item9_flag(old_client(factories, therapist, "Quoted Answer"))
    quoted.answer = "Nearly every day"
    db.session.add(SafetyFlag(client_id=old_client(factories, therapist, "Unquoted Answer").id,
                              kind="post_dosing", severity="urgent", code="low_mood",
                              source="post_dosing", answer="a private worry"))
    db.session.commit()
    decrypted = []
    real = crypto.decrypt

    def spy(stored, context):
        plain = real(stored, context)
        decrypted.append(plain)
        return plain
    monkeypatch.setattr(crypto, "decrypt", spy)
    flags = section(page(app, therapist), "flags")
    assert "answered “Nearly every day”" in flags and "Worrying answers after a dosing" in flags
    assert "Nearly every day" in decrypted and "a private worry" not in decrypted


def test_acknowledging_from_the_dashboard_returns_to_it(app, factories, therapist):
    flag = open_item9_flag(old_client(factories, therapist, "Needs A Call"))
    browser = signed_in(app, therapist)
    html = browser.get(URL).get_data(as_text=True)
    token = re.search(rf'name="flag{flag.id}-csrf_token"[^>]*value="([^"]+)"', html).group(1)
    response = browser.post(f"/therapist/flags/{flag.id}/acknowledge", data={
        f"flag{flag.id}-csrf_token": token, f"flag{flag.id}-note": "Called; safe plan agreed.",
        "next": URL})
    assert response.status_code == 302 and response.headers["Location"] == URL
    assert db.session.get(SafetyFlag, flag.id).acknowledged_at is not None
    assert "Needs A Call" not in section(browser.get(URL).get_data(as_text=True), "flags")


# --- sessions today and tomorrow ------------------------------------------------------------
def test_sessions_today_and_tomorrow_in_the_therapists_zone(app, factories, therapist):
    start = day_start()
    today = video_appointment(old_client(factories, therapist, "Today Client"),
                              start=start + timedelta(hours=23))
    tomorrow = video_appointment(old_client(factories, therapist, "Tomorrow Client"),
                                 start=start + timedelta(hours=24, minutes=30))
    video_appointment(old_client(factories, therapist, "Later Client"),
                      start=start + timedelta(hours=48, minutes=5))
    video_appointment(old_client(factories, therapist, "Cancelled Client"),
                      start=start + timedelta(hours=12), status=AppointmentStatus.CANCELLED)
    sessions = section(page(app, therapist), "sessions")
    assert sessions.index("Today Client") < sessions.index("Tomorrow Client")
    assert "Later Client" not in sessions and "Cancelled Client" not in sessions
    assert re.search(r"Today, 11:00 PM.*?Today Client", sessions, re.S)
    assert re.search(r"Tomorrow, 12:30 AM.*?Tomorrow Client", sessions, re.S)
    for appointment in (today, tomorrow):
        assert f'href="/sessions/{appointment.id}"' in sessions
        assert f'data-appointment-id="{appointment.id}"' in sessions


def test_waiting_client_is_shown_as_waiting(app, factories, therapist, monkeypatch):
    registry = isolate_registry(monkeypatch)
    appointment = video_appointment(old_client(factories, therapist, "Waiting Client"))
    registry.add("sid-1", appointment.client_id, None)
    registry.joined("sid-1", appointment.id, "client")
    html = page(app, therapist)
    row = re.search(rf'<tr data-appointment-id="{appointment.id}">.*?</tr>', html, re.S).group(0)
    assert "Waiting" in row
    assert "js/workspace/dashboard.js" in html


def test_dashboard_script_listens_on_notify():
    from pathlib import Path
    source = (Path(__file__).parents[1] / "static/js/workspace/dashboard.js").read_text()
    assert 'io("/notify"' in source
    assert '"client_waiting"' in source and '"appointment_booked"' in source


# --- intakes waiting for review -------------------------------------------------------------
def test_submitted_intakes_without_decision_wait_for_review(app, factories, therapist):
    submit_intake(old_client(factories, therapist, "Submitted Only"))
    decide(old_client(factories, therapist, "Already Decided"))
    submit_intake(factories.make_client(name="Other Therapists"))
    intakes = section(page(app, therapist), "intakes")
    assert "Submitted Only" in intakes
    assert "Already Decided" not in intakes and "Other Therapists" not in intakes


# --- dosing in the next 72 hours ------------------------------------------------------------
def test_dosing_sessions_soon_show_readiness_answers(app, factories, therapist):
    ready = video_appointment(old_client(factories, therapist, "Ready Client"),
                              kind=SessionKind.DOSING, starts_in=timedelta(hours=30))
    db.session.add(DosingReadiness(appointment_id=ready.id, answers=READY))
    db.session.commit()
    video_appointment(old_client(factories, therapist, "Unanswered Client"),
                      kind=SessionKind.DOSING, starts_in=timedelta(hours=60))
    video_appointment(old_client(factories, therapist, "Far Client"),
                      kind=SessionKind.DOSING, starts_in=timedelta(hours=80))
    dosing = section(page(app, therapist), "dosing")
    assert dosing.index("Ready Client") < dosing.index("Unanswered Client")
    assert "Sam, my partner" in dosing and "Readiness questions not answered yet" in dosing
    assert "Far Client" not in dosing


# --- clients without a check-in for 14 days -------------------------------------------------
def test_clients_quiet_for_14_days_are_listed(app, factories, therapist):
    checkin(old_client(factories, therapist, "Recent Checkin"), days_ago=3)
    checkin(old_client(factories, therapist, "Recent Intake"), days_ago=5, source="intake")
    checkin(old_client(factories, therapist, "Stale Checkin"), days_ago=20)
    old_client(factories, therapist, "Never Checked In")
    factories.make_client(therapist, name="Joined Today")
    quiet = section(page(app, therapist), "quiet")
    # a client who never checked in is listed however recently they joined (issue 13, part 7)
    for name in ("Stale Checkin", "Never Checked In", "Joined Today"):
        assert name in quiet
    for name in ("Recent Checkin", "Recent Intake"):
        assert name not in quiet


def test_only_the_longest_silences_show_until_asked_for_all(app, factories, therapist,
                                                              monkeypatch):
    from portal.workspace import routes_dashboard
    monkeypatch.setattr(routes_dashboard, "QUIET_SHOWN", 2)
    for days in (30, 40, 50):
        checkin(old_client(factories, therapist, f"Silent {days} days", days=60), days_ago=days)
    quiet = section(page(app, therapist), "quiet")
    assert "Silent 50 days" in quiet and "Silent 40 days" in quiet
    assert "Silent 30 days" not in quiet and "Show all 3 clients" in quiet
    everyone = signed_in(app, therapist).get(URL, query_string={"quiet": "all"})
    assert "Silent 30 days" in section(everyone.get_data(as_text=True), "quiet")


# --- no N+1 ---------------------------------------------------------------------------------
def busy_practice(factories, therapist, count):
    """`count` clients, each in every dashboard section (flag, session, intake, quiet), half of
    them with a dosing session in the next 72 hours with readiness answers."""
    start = day_start()
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    dosing_base = max(now, start + timedelta(hours=21))
    for i in range(count):
        patient = old_client(factories, therapist, f"Busy {count}-{i}")
        open_item9_flag(patient)
        exclusion_flag(patient)
        submit_intake(patient)
        video_appointment(patient, start=start + timedelta(hours=i))
        if i % 2 == 0:
            dosing = video_appointment(patient, kind=SessionKind.DOSING,
                                       start=dosing_base + timedelta(minutes=250 * (i // 2)))
            db.session.add(DosingReadiness(appointment_id=dosing.id, answers=READY))
            db.session.commit()


def statements_for(app, therapist):
    browser = signed_in(app, therapist)
    browser.get(URL)  # warm caches (templates, session row)
    seen = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        html = browser.get(URL).get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen), html


def test_dashboard_query_count_does_not_grow_with_clients(app, factories):
    small, large = (factories.make_therapist(timezone=ZONE) for _ in range(2))
    busy_practice(factories, small, 2)
    busy_practice(factories, large, 20)
    small_count, small_html = statements_for(app, small)
    large_count, large_html = statements_for(app, large)
    assert small_html.count('class="dash-flag"') == 4
    assert large_html.count('class="dash-flag"') == 40
    assert large_html.count("Sam, my partner") == 10
    assert small_count == large_count
