"""One client's page for their therapist: the arc of care as a timeline, intake and review,
consents, scores, appointments, notes, shared (never private) journal entries and check-ins after
dosing; every open audited once; other therapists get 404; a constant number of queries whatever
the length of the client's history."""
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from portal.core.vocabulary import AppointmentStatus, CareStatus, SessionKind
from portal.extensions import db
from portal.models.audit import AuditEvent
from portal.models.breakglass import BreakGlassGrant
from portal.models.care import CareStatusChange, PostDosingCheckin
from portal.models.journal import JournalEntry
from portal.models.measure import MeasureResult
from portal.models.notes import SessionNote
from tests.conftest import section, signed_in
from tests.factories import DEFAULT_PASSWORD
from tests.scheduling_helpers import make_appointment, make_eligible, publish_new_version, session_type

ZONE = "Europe/Berlin"
ORIGIN = datetime(2024, 2, 5, 9, tzinfo=UTC)
COMPLETED = AppointmentStatus.COMPLETED


@pytest.fixture
def therapist_details():
    """Times on the page are in the therapist's zone."""
    return {"timezone": ZONE}


@pytest.fixture
def client_details():
    """The dashboard links the client's name to this page."""
    return {"name": "Robin Record"}


def url(client):
    return f"/therapist/clients/{client.id}"


def page(app, therapist, client):
    response = signed_in(app, therapist).get(url(client))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def visit(therapist, client, kind, hours, status=COMPLETED):
    """An appointment `hours` after ORIGIN (negative hours: never used; future: from now)."""
    start = ORIGIN + timedelta(hours=hours)
    return make_appointment(client, session_type(therapist, kind), start, status=status)


def upcoming(therapist, client, kind, days):
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=days)
    return make_appointment(client, session_type(therapist, kind), start)


def note(appointment, signed=False):
    row = SessionNote(appointment_id=appointment.id, therapist_id=appointment.therapist_id,
                      kind=appointment.kind, content={"observations": "calm"},
                      status="signed" if signed else "draft")
    db.session.add(row)
    db.session.commit()
    return row


def journal(client, text, shared, day=date(2024, 3, 1)):
    db.session.add(JournalEntry(client_id=client.id, written_on=day, text=text, shared=shared,
                                mood=6))
    db.session.commit()


def whole_arc(therapist, client):
    """A client who went all the way: consultation → … → integration, then a pause."""
    visit(therapist, client, SessionKind.CONSULTATION, 0)
    make_eligible(client)
    prep = visit(therapist, client, SessionKind.PREPARATION, 48)
    dosing = visit(therapist, client, SessionKind.DOSING, 96)
    visit(therapist, client, SessionKind.INTEGRATION, 144)
    note(prep, signed=True)
    note(dosing)
    db.session.add(MeasureResult(client_id=client.id, instrument="phq9", source="intake",
                                 result={"total": 17, "band": "moderately severe"},
                                 taken_at=ORIGIN))
    db.session.add(PostDosingCheckin(client_id=client.id, appointment_id=dosing.id,
                                     answers={"sleep": "fair", "mood": 6, "headache": True,
                                              "phq9_9": 0, "worry_text": ""}))
    db.session.add(CareStatusChange(client_id=client.id, status=CareStatus.PAUSED.value,
                                    reason="Travelling for a month", changed_by_id=therapist.id))
    db.session.commit()


def test_timeline_shows_each_step_of_the_arc(app, therapist, client_user):
    whole_arc(therapist, client_user)
    timeline = section(page(app, therapist, client_user), "timeline")
    steps = ["Account created", "Consultation", "Intake submitted", "Review decision",
             "Preparation session", "Dosing session", "Integration session", "Care paused"]
    for step in steps:
        assert f"<strong>{step}</strong>" in timeline, step
    assert "Eligible for ketamine-assisted therapy" in timeline
    assert "Travelling for a month" in timeline
    # oldest first: the sessions in the order they happened
    assert (timeline.index("<strong>Consultation") < timeline.index("<strong>Preparation")
            < timeline.index("<strong>Dosing") < timeline.index("<strong>Integration"))


def test_page_shows_intake_consents_scores_appointments_notes_and_checkins(app, therapist,
                                                                          client_user):
    whole_arc(therapist, client_user)
    publish_new_version()
    soon = upcoming(therapist, client_user, SessionKind.INTEGRATION, days=4)
    html = page(app, therapist, client_user)
    intake = section(html, "intake")
    assert "Eligible for ketamine-assisted therapy" in intake
    assert f'href="/therapist/clients/{client_user.id}/intake"' in intake
    consents = section(html, "consents")
    assert "signed" in consents and "Not signed" in consents and "version 2" in consents
    measures = section(html, "measures")
    assert 'id="client-phq9-title"' in measures and "Latest 17" in measures
    appointments = section(html, "appointments")
    assert appointments.index(f'data-appointment-id="{soon.id}"') < appointments.index("Past")
    assert appointments.count("<tr data-appointment-id") == 5
    notes = section(html, "notes")
    assert notes.count('href="/therapist/appointments/') == 2
    assert "Signed" in notes and "Draft" in notes
    checkins = section(html, "post-dosing")
    assert "sleep fair" in checkins and "headache" in checkins


def test_times_are_in_the_therapists_zone(app, therapist, client_user):
    visit(therapist, client_user, SessionKind.CONSULTATION, 0)  # 09:00 UTC = 10:00 in Berlin
    assert "Mon 05 Feb 2024, 10:00 AM CET" in section(page(app, therapist, client_user), "timeline")


def test_only_shared_journal_entries_appear(app, therapist, client_user):
    journal(client_user, "Shared: the walk by the lake helped", shared=True)
    journal(client_user, "PRIVATE-CANARY never for the therapist", shared=False)
    html = page(app, therapist, client_user)
    assert "the walk by the lake helped" in section(html, "journal")
    assert "PRIVATE-CANARY" not in html
    assert f'href="/therapist/clients/{client_user.id}/journal"' in html


def test_empty_record_reads_calmly(app, therapist, client_user):
    html = page(app, therapist, client_user)
    for text in ("Intake not started yet.", "No consent signed yet.", "No PHQ-9 scores yet.",
                 "Nothing booked.", "No session notes yet.", "No shared entries.",
                 "No check-ins after dosing yet."):
        assert text in html


def test_each_open_writes_exactly_one_audit_row(app, therapist, client_user):
    browser = signed_in(app, therapist)
    before = db.session.scalar(select(func.max(AuditEvent.id))) or 0
    assert browser.get(url(client_user)).status_code == 200
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.id > before)).all()
    assert [(r.event, r.actor_id, r.object_type, r.object_id) for r in rows] == [
        ("client_page_viewed", therapist.id, "user", str(client_user.id))]


def test_another_therapist_gets_404_and_nothing_is_audited(app, client_user, other_therapist):
    response = signed_in(app, other_therapist).get(url(client_user))
    assert response.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.event == "client_page_viewed")) == 0


def test_clients_cannot_open_it(app, client, auth, client_user):
    auth.login(client_user.email, DEFAULT_PASSWORD)
    assert client.get(url(client_user)).status_code == 403


def test_admin_reads_under_break_glass_without_the_care_form(app, client_user, admin):
    browser = signed_in(app, admin)
    assert browser.get(url(client_user)).status_code == 404
    BreakGlassGrant.start(admin, client_user, "Therapist unreachable; client in crisis call", 1)
    db.session.commit()
    response = browser.get(url(client_user))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Only the client's own therapist can change their care status." in html
    assert 'action="/therapist/clients/' not in section(html, "care")


def test_dashboard_names_link_to_the_client_page(app, therapist, client_user):
    upcoming(therapist, client_user, SessionKind.CONSULTATION, days=0)
    html = signed_in(app, therapist).get("/therapist/dashboard").get_data(as_text=True)
    assert f'href="/therapist/clients/{client_user.id}">Robin Record</a>' in html


# --- no N+1 ---------------------------------------------------------------------------------
def long_history(therapist, client, count, offset=0):
    """`count` of everything: appointments with notes, scores, shared entries, check-ins,
    care changes."""
    make_eligible(client)
    for i in range(count):
        appointment = visit(therapist, client, SessionKind.DOSING, offset + 4 * i)
        note(appointment, signed=i % 2 == 0)
        db.session.add(PostDosingCheckin(client_id=client.id, appointment_id=appointment.id,
                                         answers={"sleep": "well", "mood": 7}))
        db.session.add(MeasureResult(client_id=client.id, instrument="gad7", source="checkin",
                                     result={"total": i % 21, "band": "mild"},
                                     taken_at=ORIGIN + timedelta(hours=4 * i)))
        db.session.add(CareStatusChange(client_id=client.id, status="paused", reason=f"r{i}",
                                        changed_by_id=therapist.id))
        journal(client, f"entry {i}", shared=True)
    db.session.commit()


def statements_for(browser, client):
    browser.get(url(client))  # warm caches (templates, session row)
    seen = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        html = browser.get(url(client)).get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen), html


def test_query_count_does_not_grow_with_history(app, factories, therapist):
    short, long = (factories.make_client(therapist, name=n) for n in ("Short Story", "Long Story"))
    long_history(therapist, short, 3)
    long_history(therapist, long, 12, offset=1000)
    browser = signed_in(app, therapist)
    short_count, short_html = statements_for(browser, short)
    long_count, long_html = statements_for(browser, long)
    assert section(long_html, "appointments").count("<tr data-appointment-id") == 12
    assert section(long_html, "notes").count("<li>") == 12
    assert section(short_html, "journal").count("<li>") == 3
    assert short_count == long_count
