"""Appointment emails and the calendar feed: real SMTP, invitations parsed back with icalendar.

The therapist works in New York, the client lives in London: each email shows the time in its
reader's zone, and every `.ics` carries the same UTC instant, UID and SEQUENCE.
"""
import re
from datetime import UTC, datetime, time, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from portal.core.time import format_local
from portal.core.tokens import token_hash
from portal.core.vocabulary import SessionKind
from portal.extensions import db
from portal.models.audit import AuditEvent
from portal.models.schedule import AvailabilityRule, SessionType
from portal.notifications.appointments import send_appointment_emails
from portal.scheduling import bp as scheduling_bp
from portal.scheduling import services
from tests.factories import DEFAULT_PASSWORD

CLIENT_NAME = "Harriet Quill"
START = datetime(2030, 1, 8, 14, 0, tzinfo=UTC)  # Tuesday, 9:00 AM in New York, 2:00 PM in London
BOOKED_AT = START - timedelta(days=3)
WORDS_NEVER_IN_SUBJECTS = ("ketamine", "dosing", "Dosing", "Ketamine", CLIENT_NAME)


@pytest.fixture
def app(app):
    """The scheduling blueprint with the feed views (until create_app registers it)."""
    if "scheduling" not in app.blueprints:
        app.register_blueprint(scheduling_bp)
    return app


@pytest.fixture
def practice(factories):
    therapist = factories.make_therapist(timezone="America/New_York")
    client = factories.make_client(therapist, timezone="Europe/London", name=CLIENT_NAME)
    for weekday in range(7):
        db.session.add(AvailabilityRule(therapist_id=therapist.id, weekday=weekday,
                                        start_time=time(8), end_time=time(18)))
    services.ensure_default_types(therapist)
    db.session.commit()
    return therapist, client


def session_type(therapist, kind):
    return db.session.scalar(select(SessionType).where(
        SessionType.therapist_id == therapist.id, SessionType.kind == kind))


def book(therapist, client, kind=SessionKind.CONSULTATION, start=START):
    appointment = services.book(client, session_type(therapist, kind), start,
                               idempotency_key=f"{kind}-{start.isoformat()}", now=BOOKED_AT)
    db.session.commit()
    return appointment


def invitation(message):
    """(METHOD parameter of the attachment, the parsed calendar) of an email's `.ics`."""
    parts = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    return parts[0].get_param("method"), Calendar.from_ical(parts[0].get_payload(decode=True))


def only_event(calendar):
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return events[0]


def one_email_to(mailbox, user):
    found = mailbox.to(user.email)
    assert len(found) == 1, [m["Subject"] for m in found]
    return found[0]


def html_of(message):
    return message.get_body(preferencelist=("html",)).get_content()


# --- invitations ----------------------------------------------------------------------------
def test_booking_sends_each_participant_an_invitation_with_the_utc_time_uid_and_sequence(
        practice, mailbox):
    therapist, client = practice
    appointment = book(therapist, client)

    assert send_appointment_emails(appointment, "booked") == 2

    for person in (client, therapist):
        method, calendar = invitation(one_email_to(mailbox, person))
        assert method == "REQUEST"
        assert calendar["METHOD"] == "REQUEST"
        event = only_event(calendar)
        assert event.decoded("DTSTART") == appointment.starts_at == START
        assert event.decoded("DTSTART").utcoffset() == timedelta(0)
        assert event.decoded("DTEND") == appointment.ends_at
        assert str(event["UID"]) == appointment.uid
        assert int(event["SEQUENCE"]) == appointment.sequence == 0
        assert str(event["STATUS"]) == "CONFIRMED"
        assert str(event["ATTENDEE"]).lower() == f"mailto:{person.email}"
        assert str(event["ORGANIZER"]).startswith("mailto:")


def test_rescheduling_keeps_the_uid_and_bumps_the_sequence(practice, mailbox):
    therapist, client = practice
    appointment = book(therapist, client)
    send_appointment_emails(appointment, "booked")
    first_uid = str(only_event(invitation(one_email_to(mailbox, client))[1])["UID"])
    mailbox.clear()

    new_start = START + timedelta(days=1, hours=2)
    services.reschedule(appointment, new_start, by=therapist, now=BOOKED_AT)
    db.session.commit()
    send_appointment_emails(appointment, "rescheduled")

    for person in (client, therapist):
        message = one_email_to(mailbox, person)
        method, calendar = invitation(message)
        event = only_event(calendar)
        assert method == calendar["METHOD"] == "REQUEST"
        assert str(event["UID"]) == first_uid == appointment.uid
        assert int(event["SEQUENCE"]) == 1
        assert event.decoded("DTSTART") == new_start
    assert "Wednesday 9 January 2030, 4:00 PM GMT" in mailbox.text_of(one_email_to(mailbox, client))


def test_cancellation_sends_method_cancel_with_the_same_uid(practice, mailbox):
    therapist, client = practice
    appointment = book(therapist, client)
    services.cancel(appointment, by=client, now=BOOKED_AT)
    db.session.commit()

    send_appointment_emails(appointment, "cancelled")

    for person in (client, therapist):
        message = one_email_to(mailbox, person)
        method, calendar = invitation(message)
        event = only_event(calendar)
        assert method == "CANCEL"
        assert calendar["METHOD"] == "CANCEL"
        assert str(event["STATUS"]) == "CANCELLED"
        assert str(event["UID"]) == appointment.uid
        assert int(event["SEQUENCE"]) == 1
        assert event.decoded("DTSTART") == START
    assert "You cancelled" in mailbox.text_of(one_email_to(mailbox, client))
    assert "cancelled by your client" in mailbox.text_of(one_email_to(mailbox, therapist))


# --- what the emails say --------------------------------------------------------------------
def test_each_reader_sees_the_time_in_their_own_zone(practice, mailbox):
    therapist, client = practice
    send_appointment_emails(book(therapist, client), "booked")

    client_text = mailbox.text_of(one_email_to(mailbox, client))
    therapist_text = mailbox.text_of(one_email_to(mailbox, therapist))
    assert "Tuesday 8 January 2030, 2:00 PM GMT" in client_text
    assert "9:00 AM EST" not in client_text
    assert "Tuesday 8 January 2030, 9:00 AM EST" in therapist_text
    assert "Tuesday 8 January 2030, 9:00 AM EST" in html_of(one_email_to(mailbox, therapist))


@pytest.mark.parametrize(("instant", "zone", "expected"), [
    (datetime(2026, 3, 3, 14, 0, tzinfo=UTC), "America/New_York", "Tuesday 3 March 2026, 9:00 AM EST"),
    (datetime(2026, 3, 9, 13, 30, tzinfo=UTC), "America/New_York", "Monday 9 March 2026, 9:30 AM EDT"),
    (datetime(2026, 7, 1, 23, 5, tzinfo=UTC), "Europe/London", "Thursday 2 July 2026, 12:05 AM BST"),
    (datetime(2026, 1, 1, 12, 0, tzinfo=UTC), "Australia/Sydney", "Thursday 1 January 2026, 11:00 PM AEDT"),
])
def test_times_are_written_out_with_the_zone_of_the_reader(instant, zone, expected):
    from zoneinfo import ZoneInfo
    assert format_local(instant, ZoneInfo(zone), long=True) == expected


def test_video_sessions_carry_the_join_link_and_nothing_about_the_treatment(practice, mailbox):
    therapist, client = practice
    appointment = book(therapist, client)
    send_appointment_emails(appointment, "booked")

    join = f"http://localhost/sessions/{appointment.id}"
    for person in (client, therapist):
        message = one_email_to(mailbox, person)
        assert join in mailbox.text_of(message)
        assert f'href="{join}"' in html_of(message)
        event = only_event(invitation(message)[1])
        assert str(event["LOCATION"]) == join
        assert str(event["SUMMARY"]) == "Appointment"
    # the therapist's email does not say who the client is
    assert CLIENT_NAME not in bytes(one_email_to(mailbox, therapist)).decode(errors="replace")


def test_dosing_emails_give_the_address_and_the_day_rules_but_subjects_stay_neutral(
        practice, mailbox, no_gates, app):
    therapist, client = practice
    appointment = book(therapist, client, kind=SessionKind.DOSING)
    send_appointment_emails(appointment, "booked")

    address = app.config["PRACTICE_ADDRESS"]
    client_email = one_email_to(mailbox, client)
    text = mailbox.text_of(client_email)
    assert address in text
    for rule in ("4 hours", "ride home", "drive until the next day", "alcohol",
                 "benzodiazepines"):
        assert rule in text and rule in html_of(client_email)
    event = only_event(invitation(client_email)[1])
    assert str(event["LOCATION"]) == address
    for person in (client, therapist):
        message = one_email_to(mailbox, person)
        event = only_event(invitation(message)[1])
        for word in WORDS_NEVER_IN_SUBJECTS:
            assert word not in message["Subject"]
            assert word not in str(event["SUMMARY"])
            assert word.lower() not in str(event.get("DESCRIPTION", "")).lower()
    assert "benzodiazepines" not in mailbox.text_of(one_email_to(mailbox, therapist))


def test_the_client_name_is_never_in_a_subject(practice, mailbox):
    therapist, client = practice
    appointment = book(therapist, client)
    send_appointment_emails(appointment, "booked")
    services.cancel(appointment, by=therapist, now=BOOKED_AT)
    db.session.commit()
    send_appointment_emails(appointment, "cancelled")

    assert len(mailbox.messages) == 4
    for message in mailbox.messages:
        for word in WORDS_NEVER_IN_SUBJECTS:
            assert word not in message["Subject"]


def test_a_therapists_cancellation_message_stays_in_the_portal(practice, mailbox):
    therapist, client = practice
    appointment = book(therapist, client)
    note = "I am unwell this week; let us meet on Friday instead."
    services.cancel(appointment, by=therapist, message=note, now=BOOKED_AT)
    db.session.commit()

    send_appointment_emails(appointment, "cancelled", message=note)

    client_email = one_email_to(mailbox, client)
    assert "There is a message from your therapist in the portal" in mailbox.text_of(client_email)
    assert "cancelled by your therapist" in mailbox.text_of(client_email)
    therapist_text = mailbox.text_of(one_email_to(mailbox, therapist))
    assert "message from" not in therapist_text
    for message in mailbox.messages:
        assert "unwell" not in bytes(message).decode(errors="replace")


def test_unknown_changes_are_refused(practice):
    therapist, client = practice
    with pytest.raises(ValueError):
        send_appointment_emails(book(therapist, client), "moved")


# --- calendar feed --------------------------------------------------------------------------
FEED_URL = re.compile(r'value="http://localhost(/calendar/feed/[A-Za-z0-9_-]{40,}\.ics)"')


def make_feed(auth):
    response = auth.post("/account/calendar-feed", {}, form_path="/account/calendar-feed")
    assert response.status_code == 200
    return FEED_URL.search(response.get_data(as_text=True)).group(1)


def test_a_calendar_feed_lists_appointments_without_sign_in_and_without_phi(
        app, practice, auth, mailbox, no_gates):
    therapist, client = practice
    video = book(therapist, client)
    dosing = book(therapist, client, kind=SessionKind.DOSING, start=START + timedelta(days=2))
    cancelled = book(therapist, client, start=START + timedelta(days=1))
    services.cancel(cancelled, by=client, now=BOOKED_AT)
    db.session.commit()
    auth.login(client.email, DEFAULT_PASSWORD)

    path = make_feed(auth)
    anonymous = app.test_client()
    response = anonymous.get(path)

    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    assert "METHOD" not in calendar
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {video.uid, dosing.uid}
    assert events[video.uid].decoded("DTSTART") == START
    body = response.get_data(as_text=True)
    for word in ("ketamine", "dosing", "Dosing", CLIENT_NAME, client.email, "Preparation"):
        assert word not in body
    assert {str(e["SUMMARY"]) for e in events.values()} == {"Appointment"}
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.event == "calendar_feed_reset", AuditEvent.actor_id == client.id)) is not None


def test_the_therapist_feed_shows_their_appointments_without_client_names(
        app, practice, auth):
    therapist, client = practice
    appointment = book(therapist, client)
    auth.login(therapist.email, DEFAULT_PASSWORD, totp_secret=therapist.totp_secret)

    response = app.test_client().get(make_feed(auth))

    assert [str(e["UID"]) for e in Calendar.from_ical(response.data).walk("VEVENT")] == [
        appointment.uid]
    assert CLIENT_NAME not in response.get_data(as_text=True)


def test_a_new_feed_address_revokes_the_old_one_and_only_its_hash_is_stored(app, practice, auth):
    therapist, client = practice
    auth.login(client.email, DEFAULT_PASSWORD)
    old = make_feed(auth)
    new = make_feed(auth)
    anonymous = app.test_client()

    assert anonymous.get(old).status_code == 404
    assert anonymous.get(new).status_code == 200
    db.session.refresh(client)
    token = new.rsplit("/", 1)[1].removesuffix(".ics")
    assert client.calendar_token_hash == token_hash(token)
    assert token not in client.calendar_token_hash


def test_revoking_the_feed_turns_it_off(app, practice, auth):
    therapist, client = practice
    auth.login(client.email, DEFAULT_PASSWORD)
    path = make_feed(auth)

    response = auth.post("/account/calendar-feed/revoke", {}, form_path="/account/calendar-feed")

    assert response.status_code == 302
    assert app.test_client().get(path).status_code == 404
    db.session.refresh(client)
    assert client.calendar_token_hash is None
    page = auth.client.get("/account/calendar-feed").get_data(as_text=True)
    assert "The feed is off" in page


@pytest.mark.parametrize("path", ["/calendar/feed/not-a-real-token.ics",
                                  "/calendar/feed/.ics", "/calendar/feed/x/y.ics"])
def test_unknown_feed_tokens_get_404(app, client, path):
    assert client.get(path).status_code == 404


def test_the_feed_settings_need_sign_in(app, client):
    response = client.get("/account/calendar-feed")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")
