"""Issue 13, part 2: the therapist books a session for their own client at any free time of
theirs (/therapist/clients/<id>/book). Where a gate of the arc would refuse the client, the
therapist books only with a reason, kept with the booking (encrypted) and audited; nothing
overrides an open PHQ-9 item-9 flag for dosing, nor dosing that is not in person. Both people
are emailed through the real SMTP server."""
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from portal.core.vocabulary import AppointmentStatus, SessionKind
from portal.extensions import db
from portal.models.audit import AuditEvent
from portal.models.schedule import Appointment, BookingOverride
from tests.conftest import csrf_from, signed_in
from tests.scheduling_helpers import (
    acknowledge,
    complete_consultation,
    complete_preparation,
    make_eligible,
    open_item9_flag,
    session_type,
)

pytestmark = pytest.mark.usefixtures("works_every_day")

NEW_YORK, SYDNEY = "America/New_York", "Australia/Sydney"
REASON = "Consultation held by phone on 1 Dec; notes scanned in."


@pytest.fixture
def therapist_details():
    return {"timezone": NEW_YORK}


@pytest.fixture
def client_details():
    return {"timezone": SYDNEY, "name": "Robin Ash"}


@pytest.fixture
def browser(app, therapist):
    return signed_in(app, therapist)


def base(client):
    return f"/therapist/clients/{client.id}/book"


def get(browser, path, status=200):
    response = browser.get(path)
    assert response.status_code == status, (path, response.status_code)
    return response.get_data(as_text=True)


def confirm_links(html):
    return [link.replace("&amp;", "&") for link in re.findall(r'href="([^"]*/confirm\?start=[^"]+)"',
                                                              html)]


def confirm_form(browser, link):
    html = get(browser, link)
    field = lambda name: re.search(rf'name="{name}"[^>]*value="([^"]*)"', html).group(1)  # noqa: E731
    return html, {"csrf_token": csrf_from(html), "start": field("start"),
                  "idempotency_key": field("idempotency_key")}


def book(browser, client, kind, link=None, **extra):
    """Through the pages: the type's week of times, its first (or given) time, the form."""
    type_id = session_type(client.therapist, kind).id
    link = link or confirm_links(get(browser, f"{base(client)}/{type_id}"))[0]
    html, form = confirm_form(browser, link)
    return html, browser.post(f"{base(client)}/{type_id}", data={**form, **extra})


def appointments(client, kind):
    return db.session.scalars(select(Appointment).where(
        Appointment.client_id == client.id, Appointment.kind == kind.value,
        Appointment.status == AppointmentStatus.BOOKED.value)).all()


def events(name):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.event == name)).all()


# --- any free time, open gates --------------------------------------------------------------
def test_the_therapist_books_any_free_time_for_their_client(browser, client_user, therapist,
                                                            mailbox):
    consultation = session_type(therapist, SessionKind.CONSULTATION, min_notice_min=48 * 60)
    options = get(browser, base(client_user))
    assert "Book a session for Robin Ash" in options
    times = get(browser, f"{base(client_user)}/{consultation.id}")
    starts = [datetime.fromisoformat(re.search(r"start=([^&]+)", link).group(1))
              for link in confirm_links(times)]
    assert starts[0] < datetime.now(UTC) + timedelta(hours=48)  # sooner than clients may book
    html, response = book(browser, client_user, SessionKind.CONSULTATION)
    assert "Robin Ash's time" in html and "Australia/Sydney" in html
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/therapist/clients/{client_user.id}#appointments")
    [appointment] = appointments(client_user, SessionKind.CONSULTATION)
    assert appointment.starts_at == starts[0]
    assert db.session.scalars(select(BookingOverride)).all() == []
    [booked] = events("appointment_booked")
    assert (booked.actor_id, booked.object_id) == (therapist.id, str(appointment.id))
    assert mailbox.to(client_user.email) and mailbox.to(therapist.email)


def test_a_repeated_submit_returns_the_same_booking(browser, client_user, mailbox):
    type_id = session_type(client_user.therapist, SessionKind.CONSULTATION).id
    link = confirm_links(get(browser, f"{base(client_user)}/{type_id}"))[0]
    _, form = confirm_form(browser, link)
    for _ in range(2):
        assert browser.post(f"{base(client_user)}/{type_id}", data=form).status_code == 302
    assert len(appointments(client_user, SessionKind.CONSULTATION)) == 1


# --- overriding a gate needs a reason -------------------------------------------------------
@pytest.mark.parametrize("start", ["9999-12-31T23:30:00Z", "0001-01-01T00:00:00", "soon", ""])
def test_a_posted_time_out_of_range_or_unreadable_answers_400(browser, client_user, start):
    """Found by tests/test_property_requests.py: a start the form accepts but parse_start does
    not (year 9999 or 0001) reached the booking as None: TypeError, HTTP 500."""
    type_id = session_type(client_user.therapist, SessionKind.CONSULTATION).id
    token = csrf_from(get(browser, f"{base(client_user)}/{type_id}"))
    response = browser.post(f"{base(client_user)}/{type_id}", data={
        "csrf_token": token, "start": start, "idempotency_key": "k1"})
    assert response.status_code == 400
    assert "did not carry a time we understand" in response.get_data(as_text=True)
    assert appointments(client_user, SessionKind.CONSULTATION) == []


def test_overriding_a_gate_needs_a_reason_kept_and_audited(browser, client_user, therapist,
                                                           mailbox):
    make_eligible(client_user)  # no consultation yet: the client could not book a preparation
    preparation = session_type(therapist, SessionKind.PREPARATION)
    options = get(browser, base(client_user))
    assert "Needs your reason" in options and "Preparation sessions open after a consultation" \
        in options
    html, refused = book(browser, client_user, SessionKind.PREPARATION)
    assert 'name="override_reason"' in html
    assert refused.status_code == 400
    assert re.search(r'id="override_reason-error">Please give your reason',
                     refused.get_data(as_text=True))
    assert appointments(client_user, SessionKind.PREPARATION) == []

    _, done = book(browser, client_user, SessionKind.PREPARATION, override_reason=REASON)
    assert done.status_code == 302
    [appointment] = appointments(client_user, SessionKind.PREPARATION)
    [override] = db.session.scalars(select(BookingOverride)).all()
    assert (override.appointment_id, override.by_id, override.reason) == (appointment.id,
                                                                         therapist.id, REASON)
    assert "Preparation sessions open after a consultation" in override.refusal
    raw = db.session.execute(text("SELECT reason, refusal FROM booking_overrides")).one()
    assert "phone" not in raw[0] and "consultation" not in raw[1]
    [event] = events("booking_gate_overridden")
    assert (event.actor_id, event.object_type, event.object_id) == (therapist.id, "appointment",
                                                                    str(appointment.id))
    details = " ".join(e.detail or "" for e in db.session.scalars(select(AuditEvent)))
    assert "phone" not in details
    assert preparation.id == appointment.session_type_id


def test_an_open_gate_needs_no_reason(browser, client_user, therapist, mailbox):
    make_eligible(client_user)
    complete_consultation(client_user)
    html, response = book(browser, client_user, SessionKind.PREPARATION)
    assert 'name="override_reason"' not in html and response.status_code == 302
    assert db.session.scalars(select(BookingOverride)).all() == []


# --- nothing overrides an open item-9 flag for dosing ----------------------------------------
@pytest.fixture
def dosing_ready(client_user):
    make_eligible(client_user)
    complete_consultation(client_user)
    complete_preparation(client_user)
    return client_user


def test_nothing_overrides_an_open_item9_flag_for_dosing(browser, dosing_ready, therapist,
                                                         mailbox):
    flag = open_item9_flag(dosing_ready)
    dosing = session_type(therapist, SessionKind.DOSING)
    options = get(browser, base(dosing_ready))
    card = re.search(rf'aria-labelledby="type-{dosing.id}">.*?</li>', options, re.S).group(0)
    assert "Cannot be booked now" in card and "would like to talk with you" in card
    assert f"{base(dosing_ready)}/{dosing.id}\"" not in card  # no link to its times
    assert "Cannot be booked now" in get(browser, f"{base(dosing_ready)}/{dosing.id}", status=403)
    start = (datetime.now(UTC) + timedelta(days=3)).replace(hour=15, minute=0, second=0,
                                                            microsecond=0)
    iso = start.strftime("%Y-%m-%dT%H:%M:%SZ")
    get(browser, f"{base(dosing_ready)}/{dosing.id}/confirm?start={iso}", status=403)
    token = csrf_from(options)
    response = browser.post(f"{base(dosing_ready)}/{dosing.id}", data={
        "csrf_token": token, "start": iso, "idempotency_key": "try-anyway",
        "override_reason": "The client says they feel fine."})
    assert response.status_code == 403
    assert appointments(dosing_ready, SessionKind.DOSING) == []
    assert [e.detail for e in events("booking_refused")] == ["final gate"]

    acknowledge(flag, therapist)  # the therapist spoke with the client: positive control
    _, booked = book(browser, dosing_ready, SessionKind.DOSING)
    assert booked.status_code == 302 and len(appointments(dosing_ready, SessionKind.DOSING)) == 1


def test_an_item9_flag_does_not_hold_back_other_sessions(browser, dosing_ready, therapist,
                                                         mailbox):
    open_item9_flag(dosing_ready)
    _, response = book(browser, dosing_ready, SessionKind.PREPARATION)
    assert response.status_code == 302


def test_dosing_not_in_person_is_refused_even_to_the_therapist(browser, dosing_ready,
                                                               therapist):
    session_type(therapist, SessionKind.DOSING, modality="video")
    options = get(browser, base(dosing_ready))
    assert "Dosing sessions take place in person" in options
    dosing = session_type(therapist, SessionKind.DOSING)
    get(browser, f"{base(dosing_ready)}/{dosing.id}", status=403)


def test_the_practice_time_and_the_clients_time_are_both_on_the_confirm_page(browser,
                                                                             dosing_ready):
    dosing = session_type(dosing_ready.therapist, SessionKind.DOSING)
    link = confirm_links(get(browser, f"{base(dosing_ready)}/{dosing.id}"))[0]
    html = get(browser, link)
    assert "When (your time, the practice's)" in html
    assert re.search(r'class="time-theirs">[^<]*AE[DS]T', html)  # Sydney time


# --- whose client, whose session types ------------------------------------------------------
def test_another_therapists_session_type_is_not_found(browser, client_user, other_therapist):
    theirs = session_type(other_therapist, SessionKind.CONSULTATION)
    for path in (f"{base(client_user)}/{theirs.id}",
                 f"{base(client_user)}/{theirs.id}/confirm?start=2030-01-07T15:00:00Z"):
        get(browser, path, status=404)


def test_the_client_page_links_to_booking_for_the_own_therapist_only(app, browser, client_user,
                                                                     admin):
    page = get(browser, f"/therapist/clients/{client_user.id}")
    assert f'href="{base(client_user)}"' in page
    assert signed_in(app, admin).get(base(client_user)).status_code == 404
