"""The check-in the day after a dosing session: only the session's own client can open it,
errors appear next to the fields, worrying answers (and only those) raise an urgent flag that
the dashboard shows, item 9 follows the intake's rules, and a second submit changes nothing."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from portal.core.time import utcnow
from portal.core.vocabulary import AppointmentStatus, FlagKind, SessionKind
from portal.extensions import db
from portal.models.audit import AuditEvent
from portal.models.care import PostDosingCheckin
from portal.models.measure import SafetyFlag
from tests.conftest import Auth, csrf_from, next_totp
from tests.factories import DEFAULT_PASSWORD
from tests.scheduling_helpers import make_appointment, session_type

CALM = {"sleep": "well", "mood": "7", "nausea": "y", "worry_text": "", "phq9_9": "0"}
WORRY = "WORRY-CANARY-7d1e: I keep feeling the room is far away"


@pytest.fixture
def client_details():
    """The email to the therapist must not name the client."""
    return {"name": "Sam Client"}


def dosing_for(client_user, therapist, hours_ago=20, status=AppointmentStatus.COMPLETED,
               kind=SessionKind.DOSING):
    chosen = session_type(therapist, kind)
    start = utcnow() - timedelta(hours=hours_ago) - timedelta(minutes=chosen.duration_min)
    return make_appointment(client_user, chosen, start, status=status)


def url(appointment):
    return f"/checkins/after-dosing/{appointment.id}"


def send(client, appointment, answers):
    token = csrf_from(client.get(url(appointment)).get_data(as_text=True))
    return client.post(url(appointment), data={"csrf_token": token, **answers})


def flags(client_user, kind=FlagKind.POST_DOSING):
    return db.session.scalars(select(SafetyFlag).where(SafetyFlag.client_id == client_user.id,
                                                       SafetyFlag.kind == kind.value)).all()


def test_form_asks_the_questions_with_phq9_item_9_in_standard_wording(client, auth, eligible_client,
                                                                      therapist):
    appointment = dosing_for(eligible_client, therapist)
    auth.login(eligible_client.email, DEFAULT_PASSWORD)
    page = client.get(url(appointment)).get_data(as_text=True)
    for label in ("How did you sleep last night?", "How is your mood today?", "Nausea",
                  "Headache", "lingering dissociation", "Is anything worrying you?",
                  "Thoughts that you would be better off dead or of hurting yourself in some way",
                  "Several days", "Nearly every day"):
        assert label in page
    assert 'for="worry_text"' in page and 'for="dissociation"' in page


def test_missing_answers_are_shown_next_to_their_fields(client, auth, eligible_client, therapist):
    appointment = dosing_for(eligible_client, therapist)
    auth.login(eligible_client.email, DEFAULT_PASSWORD)
    response = send(client, appointment, {"mood": "11", "worry_text": "x" * 2001})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    for name in ("sleep", "mood", "phq9_9", "worry_text"):
        assert f'id="{name}-error"' in page, name
    assert db.session.scalar(select(func.count()).select_from(PostDosingCheckin)) == 0


def test_calm_answers_are_stored_encrypted_audited_and_raise_no_flag(client, auth, eligible_client,
                                                                     therapist, mailbox):
    appointment = dosing_for(eligible_client, therapist)
    auth.login(eligible_client.email, DEFAULT_PASSWORD)
    response = send(client, appointment, {**CALM, "other": "y", "other_text": "OTHER-CANARY-55"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/home")
    row = db.session.scalar(select(PostDosingCheckin))
    assert row.answers["mood"] == 7 and row.answers["nausea"] is True
    assert row.answers["dissociation"] is False and row.answers["other_text"] == "OTHER-CANARY-55"
    raw = db.session.execute(text("SELECT answers FROM post_dosing_checkins")).scalar()
    assert "OTHER-CANARY-55" not in str(raw)
    assert flags(eligible_client) == [] and flags(eligible_client, FlagKind.ITEM9) == []
    assert mailbox.to(therapist.email) == []
    events = db.session.scalars(select(AuditEvent.event).where(AuditEvent.actor_id == eligible_client.id))
    assert "post_dosing_checkin_submitted" in list(events)


@pytest.mark.parametrize("answers, code", [
    ({"dissociation": "y"}, "dissociation"),
    ({"worry_text": WORRY}, "worry_text"),
    ({"mood": "3"}, "low_mood"),
    ({"mood": "2", "dissociation": "y"}, "dissociation+low_mood"),
])
def test_worrying_answers_raise_an_urgent_flag_and_show_crisis_help(
        client, auth, eligible_client, therapist, mailbox, answers, code):
    appointment = dosing_for(eligible_client, therapist)
    auth.login(eligible_client.email, DEFAULT_PASSWORD)
    response = send(client, appointment, {**CALM, **answers})
    assert response.status_code == 302 and response.headers["Location"].endswith("/crisis")
    crisis = client.get("/crisis").get_data(as_text=True)
    assert "Your therapist has been notified" in crisis and "741741" in crisis
    [flag] = flags(eligible_client)
    assert (flag.severity, flag.code, flag.source) == ("urgent", code, "post_dosing")
    assert flags(eligible_client, FlagKind.ITEM9) == []
    [email] = mailbox.to(therapist.email)
    body = mailbox.text_of(email) + email["Subject"]
    for secret in ("Sam", "dosing", "ketamine", "dissociation", "mood", "WORRY-CANARY"):
        assert secret.lower() not in body.lower()


def test_item9_above_0_follows_the_intake_rules(client, auth, eligible_client, therapist, mailbox):
    appointment = dosing_for(eligible_client, therapist)
    auth.login(eligible_client.email, DEFAULT_PASSWORD)
    response = send(client, appointment, {**CALM, "phq9_9": "1"})
    assert response.headers["Location"].endswith("/crisis")
    [flag] = flags(eligible_client)
    assert flag.code == "item9"
    [item9] = flags(eligible_client, FlagKind.ITEM9)
    assert (item9.severity, item9.code, item9.source) == ("urgent", "phq9_item9", "post_dosing")
    assert len(mailbox.to(therapist.email)) == 1  # one email, no health details
    assert "item" not in mailbox.text_of(mailbox.to(therapist.email)[0]).lower()


def test_mood_of_4_alone_is_not_worrying(client, auth, eligible_client, therapist):
    appointment = dosing_for(eligible_client, therapist)
    auth.login(eligible_client.email, DEFAULT_PASSWORD)
    assert send(client, appointment, {**CALM, "mood": "4"}).headers["Location"].endswith("/home")
    assert flags(eligible_client) == []


def test_a_second_submit_says_already_sent_and_changes_nothing(client, auth, eligible_client, therapist):
    appointment = dosing_for(eligible_client, therapist)
    auth.login(eligible_client.email, DEFAULT_PASSWORD)
    send(client, appointment, {**CALM, "dissociation": "y"})
    token = csrf_from(client.get("/account").get_data(as_text=True))
    again = client.post(url(appointment), data={"csrf_token": token, **CALM, "mood": "1"})
    assert again.status_code == 200
    assert "already sent this check-in. Thank you" in again.get_data(as_text=True)
    assert "already sent" in client.get(url(appointment)).get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(PostDosingCheckin)) == 1
    assert len(flags(eligible_client)) == 1


def test_a_booked_session_that_has_ended_counts_as_attended(client, auth, eligible_client, therapist):
    appointment = dosing_for(eligible_client, therapist, status=AppointmentStatus.BOOKED)
    auth.login(eligible_client.email, DEFAULT_PASSWORD)
    assert client.get(url(appointment)).status_code == 200


@pytest.mark.parametrize("case", ["other client", "not ended", "cancelled", "no show",
                                  "preparation"])
def test_other_sessions_and_other_clients_get_404(client, auth, factories, eligible_client, therapist,
                                                  case):
    if case == "other client":
        appointment = dosing_for(eligible_client, therapist)
        viewer = factories.make_client(therapist=therapist)
    else:
        viewer = eligible_client
        appointment = {
            "not ended": lambda: dosing_for(eligible_client, therapist, hours_ago=-1),
            "cancelled": lambda: dosing_for(eligible_client, therapist, status=AppointmentStatus.CANCELLED),
            "no show": lambda: dosing_for(eligible_client, therapist, status=AppointmentStatus.NO_SHOW),
            "preparation": lambda: dosing_for(eligible_client, therapist, kind=SessionKind.PREPARATION),
        }[case]()
    auth.login(viewer.email, DEFAULT_PASSWORD)
    assert client.get(url(appointment)).status_code == 404
    token = csrf_from(client.get("/account").get_data(as_text=True))
    assert client.post(url(appointment), data={"csrf_token": token, **CALM}).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(PostDosingCheckin)) == 0


def test_dashboard_lists_the_post_dosing_flag_in_plain_words(app, client, auth, eligible_client,
                                                             therapist):
    appointment = dosing_for(eligible_client, therapist)
    auth.login(eligible_client.email, DEFAULT_PASSWORD)
    send(client, appointment, {**CALM, "dissociation": "y", "mood": "2"})
    browser = app.test_client()
    Auth(browser).login(therapist.email, DEFAULT_PASSWORD,
                        code=next_totp(therapist.id, therapist.totp_secret))
    page = browser.get("/therapist/dashboard").get_data(as_text=True)
    assert "Worrying answers after a dosing session: lingering dissociation, mood 3/10 or lower" \
        in page
    assert "from the check-in after a dosing session" in page
