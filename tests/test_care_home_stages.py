"""The client's next step on the home page follows their stage in the arc of care, the one the
therapist's clients list shows (portal/care/arc.py): each stage leads to its own steps, and where
the intake's decision and the sessions disagree the sessions win on both pages."""
from datetime import timedelta

import pytest

from portal.care.arc import stage_of
from portal.care.queries_home import STEP_OF_STAGE, next_step
from portal.core.time import utcnow
from portal.core.vocabulary import AppointmentStatus, CareStatus, Decision, SessionKind, Stage
from portal.extensions import db
from portal.models.intake import Intake
from tests.scheduling_helpers import (
    complete_preparation,
    decide,
    make_appointment,
    make_eligible,
    session_type,
    submit_intake,
)


@pytest.fixture
def therapist(factories):
    return factories.make_therapist()


@pytest.fixture
def person(factories, therapist):
    return factories.make_client(therapist=therapist)


def booked(person, therapist, kind, days, status=AppointmentStatus.BOOKED):
    return make_appointment(person, session_type(therapist, kind),
                            utcnow() + timedelta(days=days), status=status)


def draft(person, therapist):
    db.session.add(Intake(client_id=person.id))
    db.session.commit()


def eligible_preparation_booked(person, therapist):
    make_eligible(person)
    booked(person, therapist, SessionKind.PREPARATION, 2)


def eligible_prepared(person, therapist):
    make_eligible(person)
    complete_preparation(person)


def dosing_booked(person, therapist):
    eligible_prepared(person, therapist)
    booked(person, therapist, SessionKind.DOSING, 3)


def dosing_done(person, therapist):
    eligible_prepared(person, therapist)
    booked(person, therapist, SessionKind.DOSING, -10, AppointmentStatus.COMPLETED)


def dosing_booked_then_decision_changed(person, therapist):
    dosing_booked(person, therapist)
    decide(person, Decision.NEEDS_CLEARANCE)


def paused(person, therapist):
    eligible_prepared(person, therapist)
    person.care_status = CareStatus.PAUSED.value
    db.session.commit()


CASES = [
    (lambda person, therapist: None, Stage.CONSULTATION, "intake"),
    (draft, Stage.CONSULTATION, "intake"),
    (lambda person, therapist: submit_intake(person), Stage.INTAKE_SUBMITTED, "waiting_review"),
    (lambda person, therapist: decide(person, Decision.NOT_ELIGIBLE), Stage.INTAKE_SUBMITTED,
     "talk_with_therapist"),
    (lambda person, therapist: make_eligible(person), Stage.ELIGIBLE, "book_preparation"),
    (eligible_preparation_booked, Stage.PREPARING, "preparation_booked"),
    (eligible_prepared, Stage.PREPARING, "book_dosing"),
    (dosing_booked, Stage.DOSING, "dosing_booked"),
    (dosing_done, Stage.INTEGRATING, "book_integration_after_dosing"),
    (dosing_booked_then_decision_changed, Stage.DOSING, "dosing_booked"),
    (paused, Stage.PAUSED, None),
]


@pytest.mark.parametrize("build, stage, key", CASES,
                         ids=[f"{stage}-{key}" for _, stage, key in CASES])
def test_home_step_follows_the_arc_stage(app, person, therapist, build, stage, key):
    build(person, therapist)
    assert stage_of(person) == stage
    with app.test_request_context():
        step = next_step(person, utcnow())
    assert (step.key if step else None) == key


def test_every_stage_in_care_has_a_next_step_rule():
    assert set(STEP_OF_STAGE) == set(Stage) - {Stage.PAUSED, Stage.DISCHARGED}
