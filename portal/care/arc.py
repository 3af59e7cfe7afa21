"""The arc of care: consultation → intake review → preparation → dosing → integration.

Where a client stands is one rule set, written once as a SQL expression (the clients list
filters and counts by it in the database); `stage_of` evaluates the same expression for one
client. First match wins:
  1. paused / discharged: users.care_status says so (the therapist set it);
  2. integrating: the client has a completed dosing session;
  3. dosing: the client has a booked dosing session;
  4. preparing: the latest review decision is "eligible" and a preparation session is booked
     or completed;
  5. eligible: the latest review decision is "eligible";
  6. needs clearance / not eligible: the latest review decision says so;
  7. intake submitted: the intake is submitted, no decision yet;
  8. consultation: everyone else (a new client, a consultation, an intake in progress).

Two pages read it: the therapist's clients list (`stage_expression`, filtered and counted in
SQL) and the client's home page (`stage_of`), whose one next step is chosen by the stage
(portal/care/queries_home.py, STEP_OF_STAGE). The home page then adds detail finer than a stage:
a draft intake or none (continue / start), a review still to come or a decision to talk through,
a preparation session booked or done, the booking gates' reason, a dosing session ended or still
to come, an integration session and the post-dosing check-in after it. A dosing session that has
ended but is not yet marked completed is in the dosing stage here, and the home page treats it
as done for the client. Because the stage comes first, a client with a dosing session is shown
the dosing steps even if their intake's decision changed later, as the clients list shows them.
"""
from sqlalchemy import and_, case, literal, select

from portal.core.vocabulary import (
    AppointmentStatus,
    CareStatus,
    Decision,
    IntakeStatus,
    SessionKind,
    Stage,
)
from portal.extensions import db
from portal.models.intake import Intake, ReviewDecision
from portal.models.schedule import Appointment
from portal.models.user import User

BOOKED, COMPLETED = AppointmentStatus.BOOKED.value, AppointmentStatus.COMPLETED.value


def _has_session(kind, *statuses):
    return select(Appointment.id).where(
        Appointment.client_id == User.id, Appointment.kind == kind.value,
        Appointment.status.in_(statuses)).exists()


def stage_expression():
    """The arc stage of `User` as a SQL expression (rules in the module docstring)."""
    latest_decision = (select(ReviewDecision.decision)
                       .join(Intake, Intake.id == ReviewDecision.intake_id)
                       .where(Intake.client_id == User.id)
                       .order_by(ReviewDecision.id.desc()).limit(1).scalar_subquery())
    submitted = select(Intake.id).where(Intake.client_id == User.id,
                                        Intake.status == IntakeStatus.SUBMITTED.value).exists()
    eligible = latest_decision == Decision.ELIGIBLE.value
    return case(
        (User.care_status == CareStatus.PAUSED.value, literal(Stage.PAUSED.value)),
        (User.care_status == CareStatus.DISCHARGED.value, literal(Stage.DISCHARGED.value)),
        (_has_session(SessionKind.DOSING, COMPLETED), literal(Stage.INTEGRATING.value)),
        (_has_session(SessionKind.DOSING, BOOKED), literal(Stage.DOSING.value)),
        (and_(eligible, _has_session(SessionKind.PREPARATION, BOOKED, COMPLETED)),
         literal(Stage.PREPARING.value)),
        (eligible, literal(Stage.ELIGIBLE.value)),
        (latest_decision == Decision.NEEDS_CLEARANCE.value, literal(Stage.NEEDS_CLEARANCE.value)),
        (latest_decision == Decision.NOT_ELIGIBLE.value, literal(Stage.NOT_ELIGIBLE.value)),
        (submitted, literal(Stage.INTAKE_SUBMITTED.value)),
        else_=literal(Stage.CONSULTATION.value))


def stage_of(client):
    """One client's stage in the arc (a Stage)."""
    return Stage(db.session.scalar(select(stage_expression()).where(User.id == client.id)))
