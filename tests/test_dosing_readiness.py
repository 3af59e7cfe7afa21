"""Readiness answers change something: a "no" (no ride home, not fasting, alcohol or
benzodiazepines) raises a concern flag as soon as the client saves it, and no answers by the
morning of the session (7:00 in the practice's zone) raise one when `flask send-reminders`
runs. Each concern is raised once; it shows on the dosing record and the dashboard, where the
therapist acknowledges it."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.core.vocabulary import FlagKind, Severity
from portal.dosing.services_readiness import raise_concern, raise_due_concerns
from portal.extensions import db
from portal.models.measure import SafetyFlag
from portal.models.schedule import DosingReadiness
from portal.scheduling import services as scheduling
from tests.conftest import Auth, csrf_from, section, signed_in
from tests.dosing_helpers import ZONE, dosing_session, url
from tests.factories import DEFAULT_PASSWORD
from tests.scheduling_helpers import at

READY = {"fasting": "yes", "ride_arranged": "yes", "ride_who": "Sam, my partner",
         "no_alcohol_benzos": "yes", "notes": ""}


def flags():
    db.session.expire_all()
    return db.session.scalars(select(SafetyFlag).where(
        SafetyFlag.kind == FlagKind.READINESS.value).order_by(SafetyFlag.id)).all()


@pytest.fixture
def tomorrow(eligible_client):
    """A dosing session 24 hours from now (its readiness questions are open)."""
    return dosing_session(eligible_client, start=datetime.now(UTC).replace(
        second=0, microsecond=0) + timedelta(hours=24))


def answer(client, eligible_client, appointment, answers):
    auth = Auth(client)
    auth.login(eligible_client.email, DEFAULT_PASSWORD)
    return auth.post(f"/appointments/{appointment.id}/readiness", answers)


# --- on save --------------------------------------------------------------------------------
def test_no_ride_home_raises_a_concern_when_the_answers_are_saved(client, eligible_client,
                                                                   tomorrow):
    response = answer(client, eligible_client, tomorrow,
                      {**READY, "ride_arranged": "no", "ride_who": ""})
    assert response.status_code == 302
    [flag] = flags()
    assert (flag.kind, flag.severity, flag.source) == ("readiness", Severity.CONCERN, "readiness")
    assert flag.code == f"{tomorrow.id}:ride" and flag.open
    assert flag.client_id == eligible_client.id


def test_answers_all_yes_raise_nothing(client, eligible_client, tomorrow):
    assert answer(client, eligible_client, tomorrow, READY).status_code == 302
    assert flags() == []


def test_a_changed_answer_raises_only_what_is_new(client, eligible_client, tomorrow):
    auth = Auth(client)
    auth.login(eligible_client.email, DEFAULT_PASSWORD)
    path = f"/appointments/{tomorrow.id}/readiness"
    auth.post(path, {**READY, "fasting": "no"})
    auth.post(path, {**READY, "fasting": "no"})  # the same again: nothing new
    auth.post(path, {**READY, "fasting": "no", "no_alcohol_benzos": "no"})
    assert [f.code for f in flags()] == [f"{tomorrow.id}:fasting", f"{tomorrow.id}:substances"]


# --- by the morning, from send-reminders ----------------------------------------------------
@pytest.fixture
def thursday(eligible_client):
    """A dosing session at 10:00 New York time on 9 January 2031, not answered (the CLI runs
    with --now on that morning)."""
    return dosing_session(eligible_client, start=at(ZONE, 2031, 1, 9, 10))


def send_reminders(app, now):
    result = app.test_cli_runner().invoke(args=["send-reminders", "--now", now.isoformat()])
    assert result.exit_code == 0, result.output
    return result.output


def test_missing_answers_raise_a_concern_by_the_morning(app, thursday):
    assert "readiness concerns raised: 0" in send_reminders(app, at(ZONE, 2031, 1, 9, 6, 59))
    assert flags() == []
    assert "readiness concerns raised: 1" in send_reminders(app, at(ZONE, 2031, 1, 9, 7, 0))
    [flag] = flags()
    assert flag.code == f"{thursday.id}:unanswered" and flag.severity == "concern"
    assert "readiness concerns raised: 0" in send_reminders(app, at(ZONE, 2031, 1, 9, 7, 1))
    assert len(flags()) == 1


def test_the_morning_run_also_catches_a_no_saved_without_a_flag(app, thursday):
    scheduling.save_readiness(thursday, {**READY, "ride_arranged": "no"}, by=thursday.client)
    db.session.commit()  # saved without the signal (as before this rule existed)
    assert flags() == []
    assert "readiness concerns raised: 1" in send_reminders(app, at(ZONE, 2031, 1, 9, 7, 30))
    assert [f.code for f in flags()] == [f"{thursday.id}:ride"]


def test_an_answered_session_raises_nothing_in_the_morning(app, thursday):
    db.session.add(DosingReadiness(appointment_id=thursday.id, answers=READY))
    db.session.commit()
    assert "readiness concerns raised: 0" in send_reminders(app, at(ZONE, 2031, 1, 9, 8))
    assert raise_due_concerns(at(ZONE, 2031, 1, 9, 9)) == 0


def test_an_acknowledged_concern_is_not_raised_again_but_a_new_one_is(thursday, therapist):
    now = at(ZONE, 2031, 1, 9, 7, 30)
    first = raise_concern(thursday, None, now)
    first.acknowledged_at, first.acknowledged_by_id = now, therapist.id
    db.session.commit()
    assert raise_concern(thursday, None, now + timedelta(minutes=5)) is None
    later = raise_concern(thursday, {**READY, "fasting": "no"}, now + timedelta(minutes=10))
    assert later.code == f"{thursday.id}:fasting"


# --- where the therapist sees it ------------------------------------------------------------
def test_the_concern_shows_on_the_dashboard_and_the_record_and_is_acknowledged_there(
        app, client, eligible_client, therapist, tomorrow):
    answer(client, eligible_client, tomorrow, {**READY, "ride_arranged": "no", "ride_who": ""})
    browser = signed_in(app, therapist)
    dashboard = section(browser.get("/therapist/dashboard").get_data(as_text=True), "dosing")
    assert "Concern</span> Before the dosing session: no ride home arranged." in dashboard
    assert url(tomorrow) in dashboard
    record = browser.get(url(tomorrow)).get_data(as_text=True)
    readiness = section(record, "readiness")
    assert "no ride home arranged" in readiness and "Not arranged yet" in readiness
    [flag] = flags()
    assert f'action="/therapist/flags/{flag.id}/acknowledge"' in readiness
    token = csrf_from(browser.get("/account").get_data(as_text=True))
    response = browser.post(f"/therapist/flags/{flag.id}/acknowledge", data={
        "csrf_token": token, f"flag{flag.id}-note": "Called: her sister drives her.",
        "next": url(tomorrow)})
    assert response.status_code == 302 and response.headers["Location"].startswith(url(tomorrow))
    assert not flags()[0].open
    after = section(browser.get("/therapist/dashboard").get_data(as_text=True), "dosing")
    assert "no ride home arranged" not in after
    assert "Acknowledged" in section(browser.get(url(tomorrow)).get_data(as_text=True),
                                     "readiness")
