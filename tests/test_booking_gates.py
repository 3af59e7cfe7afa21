"""The arc of care is enforced by the server (acceptance 3): services.book refuses each session the
client may not have yet, with the reason in plain words, whatever the pages show. Also the
policy window for changes, outcomes only after the start, and cancelled times freed at once."""
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.core.vocabulary import AppointmentStatus, Decision, FlagKind, SessionKind
from portal.extensions import db
from portal.models.audit import AuditEvent
from portal.models.measure import SafetyFlag
from portal.models.schedule import Appointment
from portal.scheduling import services
from portal.scheduling.slots import free_slots
from tests.scheduling_helpers import (
    EVERY_DAY,
    acknowledge,
    at,
    complete_consultation,
    complete_preparation,
    complete_session,
    decide,
    make_appointment,
    make_eligible,
    open_item9_flag,
    publish_new_version,
    session_type,
    sign_current_consents,
    submit_intake,
    weekly_hours,
)

pytestmark = pytest.mark.usefixtures("works_every_day")  # 9 to 5 every day

NEW_YORK = "America/New_York"
NOW = at(NEW_YORK, 2026, 6, 1, 8)  # Monday 1 June 2026
START = at(NEW_YORK, 2026, 6, 3, 10)  # Wednesday 10:00
PREPARATION, INTEGRATION, DOSING = SessionKind.PREPARATION, SessionKind.INTEGRATION, SessionKind.DOSING


@pytest.fixture
def therapist_details():
    """Times here are wall-clock times in New York, the therapist's zone."""
    return {"timezone": NEW_YORK}




def book(client, kind, start=START, therapist=None):
    kind = session_type(therapist or client.therapist, kind)
    appointment = services.book(client, kind, start, uuid.uuid4().hex, now=NOW)
    db.session.commit()
    return appointment


def refusal(client, kind, therapist=None):
    """The reason the server gives for refusing; nothing is booked, the refusal is audited."""
    with pytest.raises(services.GateRefused) as refused:
        book(client, kind, therapist=therapist)
    db.session.commit()  # as the view does: the audit record of the refusal is kept
    assert db.session.scalars(select(Appointment).where(Appointment.starts_at == START)).all() == []
    assert db.session.scalar(select(AuditEvent.outcome).where(
        AuditEvent.event == "booking_refused", AuditEvent.actor_id == client.id)) == "failure"
    return str(refused.value)


def dosing_ready(client):
    """Eligible, consents signed, one completed preparation session, no open item-9 flag."""
    make_eligible(client)
    complete_preparation(client)
    return client


# --- consultation ---------------------------------------------------------------------------
def test_any_verified_client_may_book_a_free_consultation(client_user, therapist):
    appointment = book(client_user, SessionKind.CONSULTATION)  # no intake at all
    assert (appointment.kind, appointment.status) == ("consultation", "booked")
    # one open consultation at a time (tests/test_arc_gates.py): this one took place
    services.set_outcome(appointment, "completed", by=therapist, now=START + timedelta(minutes=30))
    decide(client_user, Decision.NOT_ELIGIBLE)  # nor does a refusal close the door to talking
    assert book(client_user, SessionKind.CONSULTATION, start=START + timedelta(days=1)).id


def test_an_unverified_account_cannot_book(factories, therapist):
    unverified = factories.make_client(therapist=therapist, email_verified_at=None)
    assert "confirmed client accounts" in refusal(unverified, SessionKind.CONSULTATION)


def test_a_session_type_of_another_therapist_is_refused(client_user, other_therapist):
    weekly_hours(other_therapist, days=EVERY_DAY)
    assert "not offered to you" in refusal(client_user, SessionKind.CONSULTATION,
                                           therapist=other_therapist)


def test_an_inactive_session_type_is_refused(client_user, therapist):
    session_type(therapist, SessionKind.CONSULTATION, active=False)
    assert "not offered to you" in refusal(client_user, SessionKind.CONSULTATION)


# --- preparation and integration: a submitted intake reviewed as eligible ---------------------
def no_intake(client):
    pass


def unreviewed(client):
    submit_intake(client)


def needs_clearance(client):
    decide(client, Decision.NEEDS_CLEARANCE)


def not_eligible(client):
    decide(client, Decision.NOT_ELIGIBLE)


INTAKE_STATES = [
    (no_intake, "once your intake is complete"),
    (unreviewed, "still reviewing your intake"),
    (needs_clearance, "needs to talk with you"),
    (not_eligible, "needs to talk with you"),
]


@pytest.mark.parametrize(("state", "reason"), INTAKE_STATES, ids=[s.__name__ for s, _ in INTAKE_STATES])
def test_preparation_and_integration_wait_for_an_eligible_review(client_user, state, reason):
    state(client_user)
    assert reason in refusal(client_user, PREPARATION)
    assert reason in refusal(client_user, INTEGRATION)


def test_a_later_eligible_decision_opens_preparation_and_integration(client_user):
    complete_consultation(client_user)  # preparation follows a consultation,
    complete_session(client_user, DOSING)  # integration a dosing session (tests/test_arc_gates.py)
    decide(client_user, Decision.NEEDS_CLEARANCE)
    assert "needs to talk with you" in refusal(client_user, PREPARATION)
    decide(client_user, Decision.ELIGIBLE)  # clearance arrived: the latest decision counts
    assert book(client_user, PREPARATION).kind == "preparation"
    assert book(client_user, INTEGRATION, start=START + timedelta(days=1)).kind == "integration"


# --- dosing ---------------------------------------------------------------------------------
def test_dosing_is_booked_when_every_condition_is_met(client_user):
    dosing_ready(client_user)
    appointment = book(client_user, DOSING)
    assert appointment.modality == "in_person" and appointment.location


def test_dosing_needs_an_eligible_review(client_user):
    complete_preparation(client_user)
    sign_current_consents(client_user)
    assert "once your intake is complete" in refusal(client_user, DOSING)


def test_dosing_needs_the_current_consents_signed_again_after_a_new_version(client_user):
    dosing_ready(client_user)
    publish_new_version()  # signed version 1; version 2 of the KAP consent is now current
    assert "sign the current consent documents" in refusal(client_user, DOSING)
    sign_current_consents(client_user)
    assert book(client_user, DOSING).kind == "dosing"


def test_dosing_needs_a_completed_preparation_session(client_user, therapist):
    make_eligible(client_user)
    booked = make_appointment(client_user, session_type(therapist, PREPARATION), NOW - timedelta(days=3))
    assert "completed preparation session" in refusal(client_user, DOSING)  # booked is not enough
    booked.status = AppointmentStatus.NO_SHOW.value
    db.session.commit()
    assert "completed preparation session" in refusal(client_user, DOSING)


def test_dosing_waits_while_an_item9_flag_is_open(client_user, therapist):
    dosing_ready(client_user)
    flag = open_item9_flag(client_user)
    assert "would like to talk with you" in refusal(client_user, DOSING)
    acknowledge(flag, therapist)
    assert book(client_user, DOSING).kind == "dosing"


def test_dosing_waits_while_a_moderate_or_high_cssrs_flag_is_open(client_user, therapist):
    """The C-SSRS screener follows the item-9 path: dosing waits for the talk."""
    dosing_ready(client_user)
    flag = SafetyFlag(client_id=client_user.id, kind=FlagKind.CSSRS.value, severity="urgent",
                      code="cssrs_moderate", source="checkin")
    db.session.add(flag)
    db.session.commit()
    assert "would like to talk with you" in refusal(client_user, DOSING)
    acknowledge(flag, therapist)
    assert book(client_user, DOSING).kind == "dosing"


def test_a_client_cannot_reschedule_into_a_session_they_no_longer_may_have(client_user):
    make_eligible(client_user)
    complete_consultation(client_user)
    appointment = book(client_user, PREPARATION)
    decide(client_user, Decision.NOT_ELIGIBLE)
    with pytest.raises(services.GateRefused):
        services.reschedule(appointment, START + timedelta(days=2), by=client_user, now=NOW)
    db.session.rollback()
    assert db.session.get(Appointment, appointment.id).starts_at == START


# --- the policy window ----------------------------------------------------------------------
@pytest.fixture
def appointment(client_user, therapist):
    return make_appointment(client_user, session_type(therapist, SessionKind.CONSULTATION), START)


def test_the_client_cancels_until_24_hours_before(appointment, client_user):
    with pytest.raises(services.PolicyWindow, match="contact your therapist"):
        services.cancel(appointment, by=client_user, now=START - timedelta(hours=23))
    services.cancel(appointment, by=client_user, now=START - timedelta(hours=25))
    db.session.commit()
    assert (appointment.status, appointment.cancelled_by_id) == ("cancelled", client_user.id)


def test_the_therapist_cancels_inside_the_window_with_a_message(appointment, therapist):
    services.cancel(appointment, by=therapist, message="I am unwell, sorry.",
                   now=START - timedelta(hours=2))
    db.session.commit()
    assert (appointment.status, appointment.cancelled_by_id) == ("cancelled", therapist.id)
    assert appointment.cancel_message == "I am unwell, sorry." and appointment.sequence == 1


def test_the_client_reschedules_until_24_hours_before(appointment, client_user, therapist):
    later = START + timedelta(days=2)
    with pytest.raises(services.PolicyWindow):
        services.reschedule(appointment, later, by=client_user, now=START - timedelta(hours=23))
    services.reschedule(appointment, later, by=therapist, now=START - timedelta(hours=23))
    db.session.commit()
    assert (appointment.starts_at, appointment.sequence) == (later, 1)


@pytest.mark.parametrize("app_config", [{"CANCELLATION_WINDOW_HOURS": 48}])
def test_the_policy_window_is_configurable(appointment, client_user):
    with pytest.raises(services.PolicyWindow, match="48 hours"):
        services.cancel(appointment, by=client_user, now=START - timedelta(hours=30))


# --- outcomes and freed times ---------------------------------------------------------------
@pytest.mark.parametrize("outcome", ["completed", "no_show"])
def test_outcomes_are_marked_only_once_the_session_started(appointment, therapist, outcome):
    with pytest.raises(services.BookingError, match="once it has started"):
        services.set_outcome(appointment, outcome, by=therapist, now=START - timedelta(minutes=1))
    services.set_outcome(appointment, outcome, by=therapist, now=START + timedelta(minutes=5))
    db.session.commit()
    assert appointment.status == outcome


def test_a_cancelled_session_cannot_be_marked(appointment, therapist):
    services.cancel(appointment, by=therapist, now=NOW)
    with pytest.raises(services.BookingError, match="cancelled"):
        services.set_outcome(appointment, "completed", by=therapist, now=START + timedelta(hours=1))


def test_a_cancelled_time_is_free_again_at_once(client_user, therapist, other_client):
    consultation = session_type(therapist, SessionKind.CONSULTATION)
    appointment = book(client_user, SessionKind.CONSULTATION)
    window = (START - timedelta(hours=1), START + timedelta(hours=1))
    assert START not in free_slots(consultation, *window, now=NOW)

    services.cancel(appointment, by=client_user, now=NOW)
    assert START in free_slots(consultation, *window, now=NOW)  # even before the commit
    db.session.commit()
    assert book(other_client, SessionKind.CONSULTATION).starts_at == START
