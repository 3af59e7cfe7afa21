"""The scheduling pages: a client books, reschedules and cancels through the real forms (CSRF
included); refusals come back as pages with the reason (403), the nearest free times (409) or a
plain message (400), never a 500. Therapists keep their calendar, hours and session types.

The therapist works in New York and the client lives in Sydney, so every time on a page is
checked against a zoneinfo conversion. Emails and the live dashboard notice are recorded, not
sent (portal.notifications has its own tests).
"""
import html
import re
from datetime import UTC, datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from portal.core.vocabulary import JOIN_EARLY, AppointmentStatus, SessionKind
from portal.extensions import db
from portal.models.audit import AuditEvent
from portal.models.schedule import Appointment, AvailabilityOverride, AvailabilityRule, DosingReadiness
from portal.scheduling import services
from tests.conftest import csrf_from
from tests.factories import DEFAULT_PASSWORD
from tests.scheduling_helpers import (
    complete_consultation,
    make_appointment,
    make_eligible,
    open_item9_flag,
    session_type,
)

pytestmark = pytest.mark.usefixtures("works_every_day")  # 9 to 5 every day

NEW_YORK, SYDNEY = "America/New_York", "Australia/Sydney"
# The room's own rule (portal.core.vocabulary.JOIN_EARLY), said the same on every page.
JOIN_TEXT = f"You can join {int(JOIN_EARLY.total_seconds() // 60)} minutes before the start."


# --- fixtures and helpers -------------------------------------------------------------------
@pytest.fixture(autouse=True)
def sent(monkeypatch):
    """Record the emails and live notices the views ask for: [(kind, appointment id, detail)]."""
    from portal.extensions import socketio
    from portal.notifications import appointments as emails
    calls = []
    monkeypatch.setattr(emails, "queue_appointment_emails",
                        lambda appointment, change, message=None: calls.append(
                            ("email", appointment.id, change)))
    monkeypatch.setattr(socketio, "emit", lambda event, data, namespace=None, to=None: calls.append(
        ("socket", data["appointment_id"], (event, namespace, to))))
    return calls


@pytest.fixture
def therapist_details():
    """Every time on a page is checked against the therapist's zone and the client's."""
    return {"timezone": NEW_YORK}




@pytest.fixture
def client_details():
    """The client lives in Sydney; the therapist's calendar names them."""
    return {"timezone": SYDNEY, "name": "Robin Ash"}


@pytest.fixture
def as_client(auth, eligible_client):
    auth.login(eligible_client.email, DEFAULT_PASSWORD)
    return auth


@pytest.fixture
def as_therapist(auth, therapist):
    auth.login(therapist.email, DEFAULT_PASSWORD, totp_secret=therapist.totp_secret)
    return auth


def kind_of(therapist, kind, **settings):
    return session_type(therapist, kind, **settings)


def page(client, path, status=200):
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    return response.get_data(as_text=True)


def links(text, pattern):
    """The links of a page whose address contains `pattern` (plain text, not a regex)."""
    return [html.unescape(h) for h in re.findall(r'href="([^"]*' + re.escape(pattern)
                                                  + r'[^"]*)"', text)]


def start_of(link):
    return datetime.fromisoformat(parse_qs(urlsplit(link).query)["start"][0])


def shown(instant, zone, fmt="%a %d %b %Y, %-I:%M %p"):
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local.strftime(fmt)} {local.tzname()}"


def hidden(text, name):
    return re.search(rf'name="{name}"[^>]*value="([^"]*)"', text).group(1)


def first_free_slot(client, type_id):
    return links(page(client, f"/book/{type_id}"), "/confirm")[0]


def confirm_form(client, confirm_link):
    text = page(client, confirm_link)
    return text, {"csrf_token": csrf_from(text), "start": hidden(text, "start"),
                  "idempotency_key": hidden(text, "idempotency_key")}


def appointments_of(client_user):
    return db.session.scalars(select(Appointment).where(
        Appointment.client_id == client_user.id)).all()


def soon(hours):
    return (datetime.now(UTC) + timedelta(hours=hours)).replace(second=0, microsecond=0)


# --- booking through the pages --------------------------------------------------------------
def test_client_books_a_preparation_session_in_their_own_zone(
        client, as_client, therapist, eligible_client, sent):
    consultation = complete_consultation(eligible_client)  # preparation opens after it
    preparation = kind_of(therapist, SessionKind.PREPARATION)
    text = page(client, "/book")
    assert f'href="/book/{preparation.id}"' in text
    slot_page = page(client, f"/book/{preparation.id}")
    assert "Australia/Sydney".replace("_", " ") in slot_page
    link = links(slot_page, "/confirm")[0]
    start = start_of(link)
    assert shown(start, SYDNEY, "%-I:%M %p") in slot_page  # the button reads in Sydney time

    confirm_page, form = confirm_form(client, link)
    assert shown(start, SYDNEY) in confirm_page and shown(start, NEW_YORK) in confirm_page
    response = client.post(f"/book/{preparation.id}", data=form)
    assert response.status_code == 302 and response.headers["Location"] == "/appointments"

    [appointment] = [a for a in appointments_of(eligible_client) if a.id != consultation.id]
    assert appointment.starts_at == start and appointment.kind == SessionKind.PREPARATION.value
    assert ("email", appointment.id, "booked") in sent
    assert ("socket", appointment.id,
            ("appointment_booked", "/notify", f"user-{therapist.id}")) in sent
    listing = page(client, "/appointments")
    assert shown(start, SYDNEY) in listing and JOIN_TEXT in listing


def test_a_repeated_submit_of_the_confirm_form_returns_the_same_booking(
        client, as_client, therapist, eligible_client, sent):
    consultation = kind_of(therapist, SessionKind.CONSULTATION)
    _, form = confirm_form(client, first_free_slot(client, consultation.id))
    first = client.post(f"/book/{consultation.id}", data=form)
    second = client.post(f"/book/{consultation.id}", data=form)
    assert first.status_code == second.status_code == 302
    assert len(appointments_of(eligible_client)) == 1
    assert [c for c in sent if c[0] == "email"] == [("email", appointments_of(eligible_client)[0].id,
                                                     "booked")]


def test_a_slot_taken_meanwhile_gets_409_with_the_nearest_free_times(
        client, as_client, factories, therapist, eligible_client):
    consultation = kind_of(therapist, SessionKind.CONSULTATION)
    link = first_free_slot(client, consultation.id)
    _, form = confirm_form(client, link)
    rival = factories.make_client(therapist)
    services.book(rival, consultation, start_of(link), "rival-key")
    db.session.commit()

    response = client.post(f"/book/{consultation.id}", data=form)
    text = response.get_data(as_text=True)
    assert response.status_code == 409 and "This time was just taken" in text
    nearest = links(text, "/confirm")
    assert nearest and all(start_of(n) != start_of(link) for n in nearest)
    assert appointments_of(eligible_client) == []
    assert client.get(nearest[0]).status_code == 200  # each is bookable


def test_the_confirm_page_of_a_taken_time_offers_the_nearest_instead(
        client, as_client, factories, therapist):
    consultation = kind_of(therapist, SessionKind.CONSULTATION)
    link = first_free_slot(client, consultation.id)
    services.book(factories.make_client(therapist), consultation, start_of(link), "rival-key")
    db.session.commit()
    text = page(client, link, status=409)
    assert links(text, "/confirm")


def test_a_gated_type_is_explained_and_refused_with_403(client, auth, factories, therapist, sent):
    waiting = factories.make_client(therapist)  # no intake yet
    auth.login(waiting.email, DEFAULT_PASSWORD)
    preparation = kind_of(therapist, SessionKind.PREPARATION)
    reason = "open once your intake is complete"
    menu = page(client, "/book")
    assert reason in menu and f'href="/book/{preparation.id}"' not in menu
    assert reason in page(client, f"/book/{preparation.id}", status=403)

    start = soon(72).isoformat()
    response = auth.post(f"/book/{preparation.id}", {"start": start, "idempotency_key": "k1"},
                         form_path="/book")
    assert response.status_code == 403 and reason in response.get_data(as_text=True)
    assert appointments_of(waiting) == [] and sent == []
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.event == "booking_refused"))


def test_dosing_waits_for_an_open_item9_flag_with_the_reason(client, as_client, therapist,
                                                             eligible_client):
    open_item9_flag(eligible_client)
    dosing = kind_of(therapist, SessionKind.DOSING)
    assert "would like to talk with you" in page(client, f"/book/{dosing.id}", status=403)


@pytest.mark.parametrize("start", ["", "tomorrow", "2026-13-01T09:00", "9am"])
def test_a_missing_or_unreadable_start_gets_400_with_a_message(client, as_client, therapist,
                                                               start):
    consultation = kind_of(therapist, SessionKind.CONSULTATION)
    text = page(client, f"/book/{consultation.id}/confirm?start={start}", status=400)
    assert "We could not read that time" in text
    response = as_client.post(f"/book/{consultation.id}",
                              {"start": start, "idempotency_key": "k"}, form_path="/book")
    assert response.status_code == 400
    assert "We could not read that time" in response.get_data(as_text=True)


def test_another_therapists_session_type_is_not_found(client, as_client, other_therapist):
    other = kind_of(other_therapist, SessionKind.CONSULTATION)
    page(client, f"/book/{other.id}", status=404)
    page(client, f"/book/{other.id}/confirm?start={soon(48).isoformat()}", status=404)


def test_the_week_pages_move_forward_and_say_when_a_week_has_no_times(
        client, as_client, therapist):
    consultation = kind_of(therapist, SessionKind.CONSULTATION, horizon_days=60)
    this_week = page(client, f"/book/{consultation.id}")
    assert "Previous week" not in this_week
    [next_week] = links(this_week, "?week=")
    assert "Previous week" in page(client, next_week)
    far = (datetime.now(UTC) + timedelta(days=120)).date().isoformat()
    assert "There are no free times this week" in page(client, f"/book/{consultation.id}"
                                                                f"?week={far}")


def test_integration_times_after_a_dosing_session_are_suggested_first(
        client, as_client, therapist, eligible_client):
    dosing = kind_of(therapist, SessionKind.DOSING)
    integration = kind_of(therapist, SessionKind.INTEGRATION)
    done = make_appointment(eligible_client, dosing, soon(-6), status=AppointmentStatus.COMPLETED)
    text = page(client, f"/book/{integration.id}")
    suggested = text.split("Suggested for after your dosing session")[1].split("</section>")[0]
    starts = [start_of(link) for link in links(suggested, "/confirm")]
    assert starts
    assert all(done.ends_at + timedelta(hours=24) <= s < done.ends_at + timedelta(hours=72)
               for s in starts)


# --- my sessions: join, reschedule, cancel --------------------------------------------------
def test_join_is_a_link_only_from_the_join_window_before_a_video_session(
        client, as_client, therapist, eligible_client):
    preparation = kind_of(therapist, SessionKind.PREPARATION)
    now_ish = make_appointment(eligible_client, preparation, soon(0) + timedelta(minutes=5))
    later = make_appointment(eligible_client, preparation, soon(30))
    text = page(client, "/appointments")
    assert f'href="/sessions/{now_ish.id}"' in text
    assert f'href="/sessions/{later.id}"' not in text
    assert text.count(JOIN_TEXT) == 1


def test_a_dosing_session_shows_the_address_and_the_day_rules(client, as_client, therapist,
                                                              eligible_client, app):
    dosing = kind_of(therapist, SessionKind.DOSING)
    make_appointment(eligible_client, dosing, soon(100))
    text = page(client, "/appointments")
    assert html.escape(app.config["PRACTICE_ADDRESS"]) in text
    assert "Do not eat for 4 hours" in text and "Do not drive until the next day" in text


def test_inside_the_policy_window_the_client_is_asked_to_contact_their_therapist(
        client, as_client, therapist, eligible_client, app, sent):
    preparation = kind_of(therapist, SessionKind.PREPARATION)
    close = make_appointment(eligible_client, preparation, soon(3))
    phone = html.escape(app.config["PRACTICE_PHONE"])
    listing = page(client, "/appointments")
    assert phone in listing and f"/appointments/{close.id}/cancel" not in listing
    for path in (f"/appointments/{close.id}/cancel", f"/appointments/{close.id}/reschedule"):
        assert "Please contact your therapist" in page(client, path)
    response = as_client.post(f"/appointments/{close.id}/cancel", {},
                              form_path="/appointments")
    assert response.status_code == 403 and phone in response.get_data(as_text=True)
    assert db.session.get(Appointment, close.id).status == AppointmentStatus.BOOKED.value
    assert sent == []


def test_the_client_cancels_through_the_confirm_page(client, as_client, therapist, eligible_client,
                                                     sent):
    preparation = kind_of(therapist, SessionKind.PREPARATION)
    appointment = make_appointment(eligible_client, preparation, soon(72))
    text = page(client, f"/appointments/{appointment.id}/cancel")
    assert "Cancel this session?" in text and 'name="message"' not in text
    response = client.post(f"/appointments/{appointment.id}/cancel",
                           data={"csrf_token": csrf_from(text)})
    assert response.status_code == 302
    cancelled = db.session.get(Appointment, appointment.id)
    assert cancelled.status == AppointmentStatus.CANCELLED.value
    assert cancelled.cancelled_by_id == eligible_client.id
    assert ("email", appointment.id, "cancelled") in sent


def test_the_client_moves_a_session_to_another_free_time(client, as_client, therapist,
                                                         eligible_client, sent):
    complete_consultation(eligible_client)  # preparation opens after it
    preparation = kind_of(therapist, SessionKind.PREPARATION)
    first = start_of(links(page(client, f"/book/{preparation.id}"), "/confirm")[4])
    appointment = make_appointment(eligible_client, preparation, first)  # well outside 24 h
    picker = page(client, f"/appointments/{appointment.id}/reschedule")
    choices = links(picker, f"/appointments/{appointment.id}/reschedule?start=")
    new_start = start_of(choices[1])
    assert shown(first, SYDNEY) in picker
    confirm = page(client, choices[1])
    assert shown(new_start, SYDNEY) in confirm and shown(new_start, NEW_YORK) in confirm
    data = {"csrf_token": csrf_from(confirm), "start": hidden(confirm, "start")}
    assert client.post(f"/appointments/{appointment.id}/reschedule", data=data).status_code == 302
    assert client.post(f"/appointments/{appointment.id}/reschedule", data=data).status_code == 302
    moved = db.session.get(Appointment, appointment.id)
    assert moved.starts_at == new_start and moved.sequence == 1
    assert [c for c in sent if c[0] == "email"] == [("email", appointment.id, "rescheduled")]


def test_a_client_cannot_see_or_change_another_clients_session(
        client, as_client, factories, therapist):
    other = make_eligible(factories.make_client(therapist))
    theirs = make_appointment(other, kind_of(therapist, SessionKind.DOSING), soon(30))
    for path in ("cancel", "reschedule", "readiness"):
        page(client, f"/appointments/{theirs.id}/{path}", status=404)
    for path in ("cancel", "reschedule", "readiness"):
        response = as_client.post(f"/appointments/{theirs.id}/{path}",
                                  {"start": soon(80).isoformat()}, form_path="/appointments")
        assert response.status_code == 404
    assert db.session.get(Appointment, theirs.id).status == AppointmentStatus.BOOKED.value
    assert db.session.scalar(select(func.count()).select_from(DosingReadiness)) == 0


# --- dosing-day readiness -------------------------------------------------------------------
READY = {"fasting": "yes", "ride_arranged": "yes", "ride_who": "Sam, my partner",
         "no_alcohol_benzos": "yes", "notes": "A little nervous."}


def test_readiness_answers_are_stored_encrypted_and_shown_to_the_therapist(
        app, client, as_client, therapist, eligible_client):
    dosing = make_appointment(eligible_client, kind_of(therapist, SessionKind.DOSING), soon(20))
    path = f"/appointments/{dosing.id}/readiness"
    assert "Who is taking you home?" in page(client, path)
    missing = as_client.post(path, {**READY, "ride_who": ""})
    assert missing.status_code == 400
    assert re.search(r'id="ride_who-error">Please tell us who', missing.get_data(as_text=True))
    assert as_client.post(path, READY).status_code == 302
    assert as_client.post(path, {**READY, "no_alcohol_benzos": "no"}).status_code == 302

    [row] = db.session.scalars(select(DosingReadiness)).all()
    assert row.answers["ride_who"] == "Sam, my partner" and row.answers["no_alcohol_benzos"] == "no"
    raw = db.session.execute(db.text("SELECT answers FROM dosing_readiness")).scalar()
    assert "Sam" not in raw and "nervous" not in raw
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.event == "dosing_readiness_submitted")) == 2
    prefilled = page(client, path)
    assert 'value="Sam, my partner"' in prefilled

    as_client.logout()
    as_client.login(therapist.email, DEFAULT_PASSWORD, totp_secret=therapist.totp_secret)
    calendar = page(client, "/therapist/calendar")
    assert "Sam, my partner" in calendar and "Has had some" in calendar
    assert "A little nervous." in calendar


def test_readiness_opens_48_hours_before_the_dosing_session(client, as_client, therapist,
                                                            eligible_client):
    dosing = make_appointment(eligible_client, kind_of(therapist, SessionKind.DOSING), soon(60))
    path = f"/appointments/{dosing.id}/readiness"
    assert "These questions are not open now" in page(client, path)
    assert as_client.post(path, READY).status_code == 403
    preparation = make_appointment(eligible_client, kind_of(therapist, SessionKind.PREPARATION),
                                   soon(20))
    page(client, f"/appointments/{preparation.id}/readiness", status=404)


def test_readiness_notes_are_capped_at_2000_characters(client, as_client, therapist,
                                                       eligible_client):
    dosing = make_appointment(eligible_client, kind_of(therapist, SessionKind.DOSING), soon(20))
    response = as_client.post(f"/appointments/{dosing.id}/readiness",
                              {**READY, "notes": "x" * 2001})
    assert response.status_code == 400 and "under 2,000 characters" in response.get_data(
        as_text=True)


# --- the therapist's pages ------------------------------------------------------------------
def test_the_calendar_shows_the_week_from_today_in_the_therapists_zone(
        client, as_therapist, therapist, eligible_client):
    preparation = kind_of(therapist, SessionKind.PREPARATION)
    appointment = make_appointment(eligible_client, preparation, soon(50))
    text = page(client, "/therapist/calendar")
    today = datetime.now(ZoneInfo(NEW_YORK)).date()
    assert f"Today, {today.strftime('%A %-d %B')}" in text
    assert shown(appointment.starts_at, NEW_YORK, "%-I:%M %p") in text
    assert "Robin Ash" in text and "Preparation session" in text
    assert f"/appointments/{appointment.id}/cancel" in text
    assert "Open safety flag" not in text
    open_item9_flag(eligible_client)
    assert "Open safety flag" in page(client, "/therapist/calendar")


def test_the_therapist_marks_a_started_session_completed_or_missed(
        client, as_therapist, therapist, eligible_client):
    preparation = kind_of(therapist, SessionKind.PREPARATION)
    started = make_appointment(eligible_client, preparation, soon(-2))
    future = make_appointment(eligible_client, preparation, soon(30))
    text = page(client, "/therapist/calendar?week=" + soon(-2).astimezone(
        ZoneInfo(NEW_YORK)).date().isoformat())
    assert f"/therapist/appointments/{started.id}/status" in text
    ok = as_therapist.post(f"/therapist/appointments/{started.id}/status", {"status": "no_show"},
                           form_path="/therapist/calendar")
    assert ok.status_code == 302
    assert db.session.get(Appointment, started.id).status == AppointmentStatus.NO_SHOW.value
    too_early = as_therapist.post(f"/therapist/appointments/{future.id}/status",
                                  {"status": "completed"}, form_path="/therapist/calendar")
    assert too_early.status_code == 302
    assert db.session.get(Appointment, future.id).status == AppointmentStatus.BOOKED.value


def test_a_therapist_cannot_touch_another_therapists_sessions(client, auth, therapist,
                                                              eligible_client, other_therapist):
    appointment = make_appointment(eligible_client, kind_of(therapist, SessionKind.PREPARATION),
                                   soon(-2))
    auth.login(other_therapist.email, DEFAULT_PASSWORD, totp_secret=other_therapist.totp_secret)
    page(client, f"/appointments/{appointment.id}/cancel", status=404)
    response = auth.post(f"/therapist/appointments/{appointment.id}/status",
                         {"status": "completed"}, form_path="/therapist/calendar")
    assert response.status_code == 404
    assert "Robin Ash" not in page(client, "/therapist/calendar")


def test_the_therapist_cancels_inside_the_window_with_a_message(
        client, as_therapist, therapist, eligible_client, sent):
    appointment = make_appointment(eligible_client, kind_of(therapist, SessionKind.PREPARATION),
                                   soon(3))
    text = page(client, f"/appointments/{appointment.id}/cancel")
    assert 'name="message"' in text
    response = client.post(f"/appointments/{appointment.id}/cancel", data={
        "csrf_token": csrf_from(text), "message": "I am unwell; let us find a new time."})
    assert response.status_code == 302 and response.headers["Location"] == "/therapist/calendar"
    cancelled = db.session.get(Appointment, appointment.id)
    assert cancelled.status == AppointmentStatus.CANCELLED.value
    assert cancelled.cancel_message == "I am unwell; let us find a new time."
    assert ("email", appointment.id, "cancelled") in sent


def test_the_therapist_adds_and_removes_weekly_hours(client, as_therapist, therapist):
    text = page(client, "/therapist/availability")
    assert "America/New York" in text
    response = as_therapist.post("/therapist/availability", {
        "hours-weekday": "5", "hours-start": "18:00", "hours-end": "20:00"})
    assert response.status_code == 302
    rule = db.session.scalar(select(AvailabilityRule).where(AvailabilityRule.weekday == 5,
                                                            AvailabilityRule.start_time
                                                            == time(18)))
    assert rule is not None and rule.end_time == time(20)
    rule_id = rule.id
    assert as_therapist.post(f"/therapist/availability/hours/{rule_id}/delete",
                             {}, form_path="/therapist/availability").status_code == 302
    assert db.session.scalar(select(AvailabilityRule).where(AvailabilityRule.id == rule_id)) is None
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.event == "availability_changed")) == 2


@pytest.mark.parametrize("data, field, message", [
    ({"hours-weekday": "0", "hours-start": "12:00", "hours-end": "11:00"}, "hours-end",
     "The end must be later than the start."),
    ({"hours-weekday": "0", "hours-start": "16:00", "hours-end": "18:00"}, "hours-start",
     "This overlaps your hours on Mondays from 9:00 AM to 5:00 PM."),
    ({"hours-weekday": "0", "hours-start": "", "hours-end": "18:00"}, "hours-start",
     "Please enter a start time."),
    ({"hours-weekday": "0", "hours-start": "7am", "hours-end": "08:00"}, "hours-start",
     "Please enter a time"),
])
def test_weekly_hours_errors_are_shown_next_to_their_fields(client, as_therapist, therapist,
                                                            data, field, message):
    before = db.session.scalar(select(func.count()).select_from(AvailabilityRule))
    response = as_therapist.post("/therapist/availability", data)
    assert response.status_code == 400
    assert re.search(rf'id="{field}-error">[^<]*{re.escape(message)}',
                     response.get_data(as_text=True))
    assert db.session.scalar(select(func.count()).select_from(AvailabilityRule)) == before


def test_the_therapist_adds_a_day_off_that_removes_its_free_times(client, as_therapist,
                                                                  therapist, eligible_client):
    day = (datetime.now(ZoneInfo(NEW_YORK)) + timedelta(days=3)).date()
    response = as_therapist.post("/therapist/availability/overrides", {
        "override-day": day.isoformat(), "override-available": "off", "override-note": "Holiday"},
        form_path="/therapist/availability")
    assert response.status_code == 302
    override = db.session.scalar(select(AvailabilityOverride))
    assert override.day == day and not override.available and override.start_time is None
    assert "Holiday" in page(client, "/therapist/availability")
    consultation = kind_of(therapist, SessionKind.CONSULTATION)
    from portal.scheduling.slots import free_slots
    zone = ZoneInfo(NEW_YORK)
    assert not [s for s in free_slots(consultation, soon(0), soon(24 * 7))
                if s.astimezone(zone).date() == day]
    assert as_therapist.post(f"/therapist/availability/overrides/{override.id}/delete", {},
                             form_path="/therapist/availability").status_code == 302
    assert db.session.scalar(select(AvailabilityOverride)) is None


@pytest.mark.parametrize("data, field, message", [
    ({"override-day": "2001-01-01", "override-available": "off"}, "override-day",
     "Please choose today or a later date."),
    ({"override-available": "off"}, "override-day", "Please enter a date."),
    ({"override-day": "+3", "override-available": "extra"}, "override-end",
     "Please enter the start and end of the extra hours."),
    ({"override-day": "+3", "override-available": "off", "override-start": "10:00"},
     "override-end", "Please enter both times, or leave both empty."),
    ({"override-day": "+3", "override-available": "extra", "override-start": "10:00",
      "override-end": "09:00"}, "override-end", "The end must be later than the start."),
    ({"override-day": "+3"}, "override-available", "Please choose one."),
])
def test_date_change_errors_are_shown_next_to_their_fields(client, as_therapist, therapist,
                                                           data, field, message):
    if data.get("override-day") == "+3":
        data["override-day"] = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    response = as_therapist.post("/therapist/availability/overrides", data,
                                 form_path="/therapist/availability")
    assert response.status_code == 400
    assert re.search(rf'id="{field}-error">[^<]*{re.escape(message)}',
                     response.get_data(as_text=True))
    assert db.session.scalar(select(AvailabilityOverride)) is None


def type_form(session_type, **changes):
    prefix = f"type{session_type.id}-"
    data = {"duration_min": "50", "buffer_before_min": "0", "buffer_after_min": "10",
            "min_notice_hours": "24", "horizon_days": "60", "slot_step_min": "30",
            "modality": "video", "location": "", "active": "y", **changes}
    return {"type_id": str(session_type.id), **{prefix + k: v for k, v in data.items() if
                                                v is not None}}


def test_the_therapist_changes_a_session_type(client, as_therapist, therapist):
    preparation = kind_of(therapist, SessionKind.PREPARATION)
    text = page(client, "/therapist/session-types")
    assert "Preparation session" in text and "Dosing session (in person)" in text
    response = as_therapist.post("/therapist/session-types", type_form(
        preparation, duration_min="60", min_notice_hours="48", slot_step_min="15",
        active=None), form_path="/therapist/session-types")
    assert response.status_code == 302
    db.session.refresh(preparation)
    assert (preparation.duration_min, preparation.min_notice_min, preparation.slot_step_min,
            preparation.active) == (60, 48 * 60, 15, False)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.event == "session_type_changed"))


@pytest.mark.parametrize("changes, field, message", [
    ({"modality": "in_person", "location": " "}, "location",
     "Please enter the address for in-person sessions."),
    ({"duration_min": "0"}, "duration_min", "Please enter a number from 5 to 480."),
    ({"duration_min": "fifty"}, "duration_min", "Please enter a whole number, for example 30."),
    ({"duration_min": "480", "buffer_before_min": "240", "buffer_after_min": "60"},
     "duration_min", "12 hours or less"),
    ({"horizon_days": "400"}, "horizon_days", "Please enter a number from 1 to 365."),
])
def test_session_type_errors_are_shown_next_to_their_fields(client, as_therapist, therapist,
                                                            changes, field, message):
    preparation = kind_of(therapist, SessionKind.PREPARATION)
    response = as_therapist.post("/therapist/session-types", type_form(preparation, **changes),
                                 form_path="/therapist/session-types")
    assert response.status_code == 400
    assert re.search(rf'id="type{preparation.id}-{field}-error">[^<]*{re.escape(message)}',
                     response.get_data(as_text=True))
    db.session.refresh(preparation)
    assert preparation.duration_min == 50 and preparation.modality == "video"


def test_a_therapist_cannot_edit_another_therapists_session_type(client, as_therapist,
                                                                 other_therapist):
    theirs = kind_of(other_therapist, SessionKind.PREPARATION)
    response = as_therapist.post("/therapist/session-types", type_form(theirs),
                                 form_path="/therapist/session-types")
    assert response.status_code == 404


def test_clients_get_403_on_the_therapist_pages(client, as_client):
    for path in ("/therapist/calendar", "/therapist/availability", "/therapist/session-types"):
        page(client, path, status=403)
