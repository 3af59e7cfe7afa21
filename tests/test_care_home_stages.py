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


def booked(client_user, therapist, kind, days, status=AppointmentStatus.BOOKED):
    return make_appointment(client_user, session_type(therapist, kind),
                            utcnow() + timedelta(days=days), status=status)


def draft(client_user, therapist):
    db.session.add(Intake(client_id=client_user.id))
    db.session.commit()


def eligible_preparation_booked(client_user, therapist):
    make_eligible(client_user)
    booked(client_user, therapist, SessionKind.PREPARATION, 2)


def eligible_prepared(client_user, therapist):
    make_eligible(client_user)
    complete_preparation(client_user)


def dosing_booked(client_user, therapist):
    eligible_prepared(client_user, therapist)
    booked(client_user, therapist, SessionKind.DOSING, 3)


def dosing_done(client_user, therapist):
    eligible_prepared(client_user, therapist)
    booked(client_user, therapist, SessionKind.DOSING, -10, AppointmentStatus.COMPLETED)


def dosing_booked_then_decision_changed(client_user, therapist):
    dosing_booked(client_user, therapist)
    decide(client_user, Decision.NEEDS_CLEARANCE)


def paused(client_user, therapist):
    eligible_prepared(client_user, therapist)
    client_user.care_status = CareStatus.PAUSED.value
    db.session.commit()


CASES = [
    (lambda client_user, therapist: None, Stage.CONSULTATION, "intake"),
    (draft, Stage.CONSULTATION, "intake"),
    (lambda client_user, therapist: submit_intake(client_user), Stage.INTAKE_SUBMITTED, "waiting_review"),
    (lambda client_user, therapist: decide(client_user, Decision.NOT_ELIGIBLE), Stage.NOT_ELIGIBLE,
     "talk_with_therapist"),
    (lambda client_user, therapist: decide(client_user, Decision.NEEDS_CLEARANCE),
     Stage.NEEDS_CLEARANCE, "talk_with_therapist"),
    (lambda client_user, therapist: make_eligible(client_user), Stage.ELIGIBLE, "book_preparation"),
    (eligible_preparation_booked, Stage.PREPARING, "preparation_booked"),
    (eligible_prepared, Stage.PREPARING, "book_dosing"),
    (dosing_booked, Stage.DOSING, "dosing_booked"),
    (dosing_done, Stage.INTEGRATING, "book_integration_after_dosing"),
    (dosing_booked_then_decision_changed, Stage.DOSING, "dosing_booked"),
    (paused, Stage.PAUSED, None),
]


@pytest.mark.parametrize("build, stage, key", CASES,
                         ids=[f"{stage}-{key}" for _, stage, key in CASES])
def test_home_step_follows_the_arc_stage(app, client_user, therapist, build, stage, key):
    build(client_user, therapist)
    assert stage_of(client_user) == stage
    with app.test_request_context():
        step = next_step(client_user, utcnow())
    assert (step.key if step else None) == key


def test_every_stage_in_care_has_a_next_step_rule():
    assert set(STEP_OF_STAGE) == set(Stage) - {Stage.PAUSED, Stage.DISCHARGED}
