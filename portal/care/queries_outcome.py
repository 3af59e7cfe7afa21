"""What the client is told of their therapist's review of the intake: the decision in plain
words and the therapist's note for them. Never the private note, the reason, the referral or the
clearance details: those are for the care team (portal/workspace/forms_review.py says so to the
therapist). The email that a decision was made says only that the intake was reviewed."""
from dataclasses import dataclass
from datetime import datetime

from portal.core.vocabulary import Decision
from portal.intake.services import intake_for

# decision -> (heading, what it means for the client), in plain words
OUTCOME_WORDS = {
    Decision.ELIGIBLE: (
        "You can go ahead with ketamine-assisted therapy",
        "Your therapist has reviewed your intake and found that ketamine-assisted therapy can "
        "go ahead. The next sessions prepare you for it."),
    Decision.NEEDS_CLEARANCE: (
        "A medical check comes first",
        "Your therapist has reviewed your intake. Before ketamine-assisted therapy can go ahead, "
        "a doctor needs to confirm that it is safe for you (a medical clearance). Your "
        "therapist will talk with you about what is needed."),
    Decision.NOT_ELIGIBLE: (
        "Ketamine-assisted therapy is not the right choice for now",
        "Your therapist has reviewed your intake and found that ketamine-assisted therapy is "
        "not the right choice for you at this time. They will talk with you about other ways "
        "forward."),
}


@dataclass(frozen=True)
class Outcome:
    decision: str
    heading: str
    text: str
    note: str | None  # the therapist's note for the client
    therapist: str | None
    decided_at: datetime


def review_outcome(client):
    """The latest decision on the client's submitted intake, in plain words; None before one."""
    intake = intake_for(client, create=False)
    latest = intake.latest_decision if intake is not None and intake.submitted else None
    if latest is None:
        return None
    heading, text = OUTCOME_WORDS[Decision(latest.decision)]
    return Outcome(latest.decision, heading, text, latest.client_note,
                   latest.therapist.name if latest.therapist else None, latest.decided_at)
