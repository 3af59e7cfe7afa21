"""Response hours and the rate limit of secure messages: a client writing outside their
therapist's stated hours is told when to expect an answer (in the client's own zone); the
therapist states the hours; sending is limited per person."""
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from portal.messages import routes
from portal.messages.hours import Hours, describe
from tests.conftest import csrf_from, signed_in
from tests.message_helpers import reply, start_thread, thread_id_of

NY = ZoneInfo("America/New_York")
WEEKDAYS_9_TO_5 = Hours((0, 1, 2, 3, 4), time(9), time(17), NY)


def ny(*args):
    return datetime(*args, tzinfo=NY).astimezone(UTC)


@pytest.mark.parametrize("instant, expected", [
    (ny(2026, 3, 6, 16, 59), None),                      # Friday, a minute before the end
    (ny(2026, 3, 6, 17, 0), ny(2026, 3, 9, 9, 0)),       # Friday at the end: Monday 9 AM
    (ny(2026, 3, 7, 12, 0), ny(2026, 3, 9, 9, 0)),       # Saturday: Monday (after DST starts)
    (ny(2026, 3, 10, 8, 59), ny(2026, 3, 10, 9, 0)),     # Tuesday, before 9: the same morning
    (ny(2026, 3, 10, 9, 0), None),                       # Tuesday at 9: open
])
def test_the_next_opening_of_response_hours(instant, expected):
    assert WEEKDAYS_9_TO_5.next_opening(instant) == expected


def test_hours_are_described_in_plain_words():
    assert describe(WEEKDAYS_9_TO_5) == ("Monday to Friday, 9:00 AM to 5:00 PM "
                                         "(America/New_York time)")
    assert describe(Hours((1, 3), time(8, 30), time(12), NY)).startswith(
        "Tuesday and Thursday, 8:30 AM to 12:00 PM")


@pytest.fixture
def client_details():
    return {"timezone": "Europe/London"}


def test_a_client_writing_outside_the_hours_is_told_when_to_expect_an_answer(
        app, client_user, monkeypatch):
    monkeypatch.setattr(routes, "utcnow", lambda: ny(2026, 3, 7, 12, 0))  # a Saturday
    patient = signed_in(app, client_user)
    response = start_thread(patient)
    page = patient.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your therapist answers messages Monday to Friday, 9:00 AM to 5:00 PM" in page
    assert "You can expect an answer from Mon 09 Mar 2026, 1:00 PM GMT" in page  # London time


def test_a_client_writing_within_the_hours_gets_no_such_notice(app, client_user, monkeypatch):
    monkeypatch.setattr(routes, "utcnow", lambda: ny(2026, 3, 10, 10, 0))  # Tuesday 10 AM
    patient = signed_in(app, client_user)
    page = patient.get(start_thread(patient).headers["Location"]).get_data(as_text=True)
    assert "Your message was sent." in page and "expect an answer" not in page


def test_the_therapist_states_their_hours_and_clients_hear_them(app, therapist, client_user,
                                                                 monkeypatch):
    clinician = signed_in(app, therapist)
    token = csrf_from(clinician.get("/messages/hours").get_data(as_text=True))
    bad = clinician.post("/messages/hours", data={"csrf_token": token, "weekdays": ["5"],
                                                  "starts": "12:00", "ends": "10:00"})
    assert bad.status_code == 400 and "The end must come after the start." in bad.get_data(
        as_text=True)
    none = clinician.post("/messages/hours", data={"csrf_token": token, "starts": "10:00",
                                                   "ends": "12:00"})
    assert none.status_code == 400 and "at least one day" in none.get_data(as_text=True)
    assert clinician.post("/messages/hours", data={"csrf_token": token, "weekdays": ["5"],
                                                   "starts": "10:00", "ends": "12:00"}
                          ).status_code == 302
    monkeypatch.setattr(routes, "utcnow", lambda: ny(2026, 3, 10, 10, 0))  # a Tuesday
    patient = signed_in(app, client_user)
    page = patient.get(start_thread(patient).headers["Location"]).get_data(as_text=True)
    assert "answers messages Saturday, 10:00 AM to 12:00 PM" in page
    assert signed_in(app, client_user).get("/messages/hours").status_code == 403


@pytest.fixture
def app_config():
    return {"RATELIMIT_MESSAGES": "3 per minute"}


def test_sending_is_rate_limited_per_person(app, therapist, client_user):
    patient, clinician = signed_in(app, client_user), signed_in(app, therapist)
    thread_id = thread_id_of(start_thread(patient))
    assert [reply(patient, thread_id).status_code for _ in range(3)] == [302, 302, 429]
    assert reply(clinician, thread_id).status_code == 302  # the other person is not limited
