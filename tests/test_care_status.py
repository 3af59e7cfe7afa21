"""Pause, discharge and resume a client's care: only their own therapist, always with a reason
(kept out of the audit trail); a paused or discharged client cannot book (server and pages) and
sees the practice's contact and crisis resources; resuming opens booking again; sessions already
booked stay."""
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.core.vocabulary import CareStatus, SessionKind
from portal.extensions import db
from portal.models.audit import AuditEvent
from portal.models.care import CareStatusChange
from portal.models.schedule import Appointment
from portal.models.user import User
from portal.scheduling import gates, services
from tests.conftest import Auth, csrf_from
from tests.factories import DEFAULT_PASSWORD
from tests.scheduling_helpers import make_appointment, session_type

pytestmark = pytest.mark.usefixtures("works_every_day")  # 9 to 5 every day

REASON = "Travelling abroad for two months"




@pytest.fixture
def client_details():
    """The therapist's page names the client."""
    return {"name": "Casey Care"}


@pytest.fixture
def desk(app, therapist):
    """The therapist's browser, signed in."""
    browser = app.test_client()
    Auth(browser).login(therapist.email, DEFAULT_PASSWORD, totp_secret=therapist.totp_secret)
    return browser


def set_status(browser, client, status, reason=REASON):
    page = browser.get(f"/therapist/clients/{client.id}").get_data(as_text=True)
    return browser.post(f"/therapist/clients/{client.id}/care-status",
                        data={"csrf_token": csrf_from(page), "status": status, "reason": reason})


def status_of(client):
    return db.session.get(User, client.id).care_status


def soon(hours):
    return (datetime.now(UTC) + timedelta(hours=hours)).replace(minute=0, second=0,
                                                                microsecond=0)


# --- the therapist's form -------------------------------------------------------------------
def test_pausing_stores_the_change_audits_it_without_the_reason_and_says_so(desk, therapist,
                                                                           client_user):
    response = set_status(desk, client_user, "paused")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/therapist/clients/{client_user.id}#care"
    assert status_of(client_user) == CareStatus.PAUSED.value
    change = db.session.scalar(select(CareStatusChange))
    assert (change.client_id, change.status, change.reason, change.changed_by_id) == (
        client_user.id, "paused", REASON, therapist.id)
    audit = db.session.scalar(select(AuditEvent).where(
        AuditEvent.event == "client_care_status_changed"))
    assert (audit.actor_id, audit.object_type, audit.object_id) == (therapist.id, "user",
                                                                    str(client_user.id))
    assert "Travelling" not in (audit.detail or "") and audit.detail == "active->paused"
    html = desk.get(response.headers["Location"]).get_data(as_text=True)
    assert "Casey Care&#39;s care is paused." in html
    assert "<strong>Care paused</strong>" in html and REASON in html


@pytest.mark.parametrize("reason, message", [
    ("", "Please write a short reason."),
    ("   ", "Please write a short reason."),
    ("no", "Please write between 3 and 500 characters."),
    ("x" * 501, "Please write between 3 and 500 characters."),
])
def test_a_reason_of_3_to_500_characters_is_required(desk, client_user, reason, message):
    response = set_status(desk, client_user, "paused", reason=reason)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'<p class="error" id="reason-error">{message}</p>' in html
    assert 'aria-describedby="reason-help reason-error"' in html
    assert '<label for="reason">Reason</label>' in html
    assert status_of(client_user) == "active" and db.session.scalar(select(CareStatusChange)) is None


@pytest.mark.parametrize("status", ["", "on_holiday"])
def test_an_unknown_status_is_refused(desk, client_user, status):
    response = set_status(desk, client_user, status)
    assert response.status_code == 400 and 'id="status-error"' in response.get_data(as_text=True)
    assert status_of(client_user) == "active"


def test_setting_the_current_status_again_is_refused(desk, client_user):
    response = set_status(desk, client_user, "active")
    assert response.status_code == 400
    assert "already the client&#39;s care status" in response.get_data(as_text=True)


def test_without_csrf_nothing_changes(desk, client_user):
    response = desk.post(f"/therapist/clients/{client_user.id}/care-status",
                         data={"status": "paused", "reason": REASON})
    assert response.status_code == 400 and status_of(client_user) == "active"


def test_only_the_clients_own_therapist_may_change_it(app, client_user, other_therapist, admin):
    from portal.models.breakglass import BreakGlassGrant
    BreakGlassGrant.start(admin, client_user, "Therapist unreachable; client asked for help", 2)
    db.session.commit()
    for person in (other_therapist, admin):
        browser = app.test_client()
        Auth(browser).login(person.email, DEFAULT_PASSWORD, totp_secret=person.totp_secret)
        token = csrf_from(browser.get("/account").get_data(as_text=True))
        response = browser.post(f"/therapist/clients/{client_user.id}/care-status",
                                data={"csrf_token": token, "status": "paused", "reason": REASON})
        assert response.status_code == 404
    assert status_of(client_user) == "active"


# --- booking while paused or discharged -----------------------------------------------------
@pytest.mark.parametrize("status, words", [("paused", "is paused"), ("discharged", "has ended")])
def test_the_server_refuses_booking_with_the_practice_phone(app, therapist, client_user, status,
                                                            words):
    client_user.care_status = status
    db.session.commit()
    consultation = session_type(therapist, SessionKind.CONSULTATION)
    reason = gates.refusal(client_user, consultation)
    assert reason == (f"Your care with the practice {words}. To book again, please contact "
                      f"the practice at {app.config['PRACTICE_PHONE']}.")
    with pytest.raises(services.GateRefused):
        services.book(client_user, consultation, soon(72), uuid.uuid4().hex)
    db.session.rollback()


def test_without_a_practice_phone_the_message_still_reads_well(app, therapist, client_user):
    app.config["PRACTICE_PHONE"] = ""
    client_user.care_status = "discharged"
    assert gates.not_in_care(client_user) == ("Your care with the practice has ended. To book again, "
                                          "please contact the practice.")


def test_paused_client_sees_contact_and_crisis_help_instead_of_sessions(
        app, client, auth, desk, therapist, client_user):
    consultation = session_type(therapist, SessionKind.CONSULTATION)
    kept = make_appointment(client_user, consultation, soon(30))
    assert set_status(desk, client_user, "paused").status_code == 302
    auth.login(client_user.email, DEFAULT_PASSWORD)
    html = client.get("/book").get_data(as_text=True)
    assert "Your care with the practice is paused." in html
    assert app.config["PRACTICE_PHONE"] in html and 'href="tel:988"' in html
    assert "Sessions you already booked stay as they are" in html
    assert "Choose a time" not in html and f'href="/book/{consultation.id}"' not in html
    refused = client.get(f"/book/{consultation.id}")
    assert refused.status_code == 403 and "is paused" in refused.get_data(as_text=True)
    token = csrf_from(client.get("/account").get_data(as_text=True))
    response = client.post(f"/book/{consultation.id}", data={
        "csrf_token": token, "start": soon(72).isoformat(), "idempotency_key": "paused-1"})
    assert response.status_code == 403 and "is paused" in response.get_data(as_text=True)
    assert [a.id for a in db.session.scalars(select(Appointment))] == [kept.id]
    assert db.session.get(Appointment, kept.id).status == "booked"  # the therapist decides


def test_resuming_opens_booking_again(client, auth, desk, therapist, client_user):
    consultation = session_type(therapist, SessionKind.CONSULTATION)
    assert set_status(desk, client_user, "discharged").status_code == 302
    assert set_status(desk, client_user, "active", reason="Back from travels").status_code == 302
    assert status_of(client_user) == "active"
    assert gates.refusal(db.session.get(User, client_user.id), consultation) is None
    auth.login(client_user.email, DEFAULT_PASSWORD)
    html = client.get("/book").get_data(as_text=True)
    assert f'href="/book/{consultation.id}"' in html and "Your care with the practice" not in html
    changes = db.session.scalars(select(CareStatusChange.status)
                                 .order_by(CareStatusChange.id)).all()
    assert changes == ["discharged", "active"]
    timeline = desk.get(f"/therapist/clients/{client_user.id}").get_data(as_text=True)
    assert "<strong>Discharged</strong>" in timeline and "<strong>Care resumed</strong>" in timeline
