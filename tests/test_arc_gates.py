"""Issue 13, part 2: the arc of care is enforced on the server, with the reason shown on the
booking pages. Preparation needs a completed consultation (and an eligible review), one open
free consultation at a time, integration follows a dosing session that is completed or has
begun, and dosing is always in person (the booking and the session-types form refuse video).
In-person sessions show the practice's local time next to the client's own.

Each refusal has its positive control; the pages and the POSTs are tried, since the server
decides whatever a page shows."""
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.core.vocabulary import AppointmentStatus, SessionKind
from portal.extensions import db
from portal.models.schedule import Appointment, SessionType
from tests.conftest import csrf_from, signed_in
from tests.scheduling_helpers import (
    complete_consultation,
    complete_preparation,
    make_appointment,
    make_eligible,
    session_type,
)

pytestmark = pytest.mark.usefixtures("works_every_day")  # 9 to 5 every day, New York time

NEW_YORK, LONDON = "America/New_York", "Europe/London"
CONSULTATION, PREPARATION = SessionKind.CONSULTATION, SessionKind.PREPARATION
DOSING, INTEGRATION = SessionKind.DOSING, SessionKind.INTEGRATION


@pytest.fixture
def therapist_details():
    return {"timezone": NEW_YORK}


@pytest.fixture
def client_details():
    """The client lives in London: in-person times show the practice's (New York) time too."""
    return {"timezone": LONDON}


@pytest.fixture
def browser(app, client_user):
    return signed_in(app, client_user)


def hours(n):
    return (datetime.now(UTC) + timedelta(hours=n)).replace(minute=0, second=0, microsecond=0)


def type_of(therapist, kind, **settings):
    return session_type(therapist, kind, **settings)


def get(browser, path, status=200):
    response = browser.get(path)
    assert response.status_code == status, (path, response.status_code)
    return response.get_data(as_text=True)


def card(html, session_type_id):
    """The /book page's card of one session type."""
    return re.search(rf'<li class="card stack" aria-labelledby="type-{session_type_id}">.*?</li>',
                     html, re.S).group(0)


def first_slot(browser, type_id):
    link = re.search(rf'href="(/book/{type_id}/confirm\?start=[^"]+)"',
                     get(browser, f"/book/{type_id}")).group(1)
    return link.replace("&amp;", "&")


def book(browser, type_id, start=None):
    """POST a booking of `type_id`: the first free time (or `start`), as the confirm form does."""
    token = csrf_from(get(browser, "/account"))
    if start is None:
        start = re.search(r"start=([^&\"]+)", first_slot(browser, type_id)).group(1)
    return browser.post(f"/book/{type_id}", data={
        "csrf_token": token, "start": start.replace("%3A", ":"),
        "idempotency_key": uuid.uuid4().hex})


def booked(client_user, kind):
    return db.session.scalars(select(Appointment).where(
        Appointment.client_id == client_user.id, Appointment.kind == kind.value,
        Appointment.status == AppointmentStatus.BOOKED.value,
        Appointment.starts_at > datetime.now(UTC))).all()


def assert_refused(browser, client_user, therapist, kind, reason):
    """The reason on /book (no link to times), on the times page (403) and for a POST (403)."""
    kind_type = type_of(therapist, kind)
    shown = card(get(browser, "/book"), kind_type.id)
    assert "Not available yet" in shown and reason in shown
    assert f'href="/book/{kind_type.id}"' not in shown
    assert reason in get(browser, f"/book/{kind_type.id}", status=403)
    before = len(booked(client_user, kind))
    start = hours(72).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = book(browser, kind_type.id, start=start)
    assert response.status_code == 403 and reason in response.get_data(as_text=True)
    assert len(booked(client_user, kind)) == before


def assert_open(browser, client_user, therapist, kind):
    kind_type = type_of(therapist, kind)
    assert f'href="/book/{kind_type.id}"' in card(get(browser, "/book"), kind_type.id)
    before = len(booked(client_user, kind))
    assert book(browser, kind_type.id).status_code == 302
    assert len(booked(client_user, kind)) == before + 1


# --- preparation: a completed consultation and an eligible review ---------------------------
def test_preparation_waits_for_a_completed_consultation(browser, client_user, therapist):
    make_eligible(client_user)
    assert_refused(browser, client_user, therapist, PREPARATION,
                   "Preparation sessions open after a consultation")
    consultation = make_appointment(client_user, type_of(therapist, CONSULTATION), hours(30))
    assert_refused(browser, client_user, therapist, PREPARATION,
                   "Preparation sessions open after your consultation on")
    consultation.status = AppointmentStatus.NO_SHOW.value  # a missed one does not count
    db.session.commit()
    assert_refused(browser, client_user, therapist, PREPARATION, "after a consultation")
    complete_consultation(client_user)
    assert_open(browser, client_user, therapist, PREPARATION)


def test_a_completed_consultation_alone_does_not_open_preparation(browser, client_user,
                                                                  therapist):
    complete_consultation(client_user)  # the intake is not even started
    assert_refused(browser, client_user, therapist, PREPARATION, "once your intake is complete")


# --- one open free consultation at a time ---------------------------------------------------
def test_one_open_consultation_at_a_time(browser, client_user, therapist):
    assert_open(browser, client_user, therapist, CONSULTATION)
    [first] = booked(client_user, CONSULTATION)
    assert_refused(browser, client_user, therapist, CONSULTATION,
                   "You already have a consultation booked for")
    # the open one can still be moved: it does not stand in its own way
    picker = get(browser, f"/appointments/{first.id}/reschedule")
    new_start = re.findall(r"reschedule\?start=([^\"&]+)", picker)[2]
    token = csrf_from(picker)
    moved = browser.post(f"/appointments/{first.id}/reschedule",
                         data={"csrf_token": token, "start": new_start.replace("%3A", ":")})
    assert moved.status_code == 302
    token = csrf_from(get(browser, f"/appointments/{first.id}/cancel"))
    assert browser.post(f"/appointments/{first.id}/cancel",
                        data={"csrf_token": token}).status_code == 302
    assert_open(browser, client_user, therapist, CONSULTATION)  # cancelled: a new one is open


def test_a_consultation_that_took_place_does_not_hold_back_the_next(browser, client_user,
                                                                    therapist):
    complete_consultation(client_user)
    make_appointment(client_user, type_of(therapist, CONSULTATION), hours(-30))  # past, booked
    assert_open(browser, client_user, therapist, CONSULTATION)


# --- integration follows a dosing session ---------------------------------------------------
@pytest.fixture
def prepared(client_user):
    make_eligible(client_user)
    complete_consultation(client_user)
    complete_preparation(client_user)
    return client_user


def test_integration_follows_a_dosing_session(browser, prepared, therapist):
    assert_refused(browser, prepared, therapist, INTEGRATION,
                   "Integration sessions follow a dosing session")
    dosing = make_appointment(prepared, type_of(therapist, DOSING), hours(50))
    assert_refused(browser, prepared, therapist, INTEGRATION,
                   "once your dosing session on")
    dosing.status = AppointmentStatus.NO_SHOW.value
    dosing.starts_at, dosing.ends_at = hours(-50), hours(-47)
    db.session.commit()
    assert_refused(browser, prepared, therapist, INTEGRATION, "follow a dosing session")


@pytest.mark.parametrize("status", [AppointmentStatus.BOOKED, AppointmentStatus.COMPLETED])
def test_integration_opens_once_the_dosing_session_has_begun(browser, prepared, therapist,
                                                             status):
    make_appointment(prepared, type_of(therapist, DOSING), hours(-1), status=status)
    assert_open(browser, prepared, therapist, INTEGRATION)


# --- dosing is always in person -------------------------------------------------------------
def test_dosing_set_to_video_is_refused_by_the_server(browser, prepared, therapist):
    type_of(therapist, DOSING, modality="video")  # e.g. a row changed outside the form
    assert_refused(browser, prepared, therapist, DOSING, "Dosing sessions take place in person")
    type_of(therapist, DOSING, modality="in_person")
    assert_open(browser, prepared, therapist, DOSING)
    assert booked(prepared, DOSING)[0].modality == "in_person"


def type_form(therapist_browser, session_type, **changes):
    page = get(therapist_browser, "/therapist/session-types")
    prefix = f"type{session_type.id}"
    data = {"csrf_token": csrf_from(page), "type_id": str(session_type.id),
            f"{prefix}-duration_min": "180", f"{prefix}-buffer_before_min": "30",
            f"{prefix}-buffer_after_min": "30", f"{prefix}-min_notice_hours": "24",
            f"{prefix}-horizon_days": "60", f"{prefix}-slot_step_min": "30",
            f"{prefix}-modality": "in_person", f"{prefix}-location": "12 River Street",
            f"{prefix}-active": "y"}
    data.update({f"{prefix}-{k}": v for k, v in changes.items()})
    return page, data


def test_the_session_types_form_offers_no_video_for_dosing(app, therapist):
    browser = signed_in(app, therapist)
    dosing, preparation = type_of(therapist, DOSING), type_of(therapist, PREPARATION)
    page, data = type_form(browser, dosing, modality="video")
    section = re.search(rf'<section[^>]*id="type-{dosing.id}".*?</section>', page, re.S).group(0)
    assert 'value="video"' not in section and "always in person" in section
    other = re.search(rf'<section[^>]*id="type-{preparation.id}".*?</section>', page, re.S)
    assert 'value="video"' in other.group(0)  # other kinds still offer both

    refused = browser.post("/therapist/session-types", data=data)
    assert refused.status_code == 400
    assert re.search(rf'id="type{dosing.id}-modality-error">[^<]*always in person',
                     refused.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(SessionType, dosing.id).modality == "in_person"

    _, data = type_form(browser, preparation, duration_min="50", modality="in_person")
    assert browser.post("/therapist/session-types", data=data).status_code == 302
    assert db.session.get(SessionType, preparation.id).modality == "in_person"


# --- the practice's time next to the client's -----------------------------------------------
def test_in_person_sessions_show_the_practice_time_next_to_the_clients(browser, prepared,
                                                                       therapist):
    dosing = type_of(therapist, DOSING)
    times = get(browser, f"/book/{dosing.id}")
    assert "each time also shows the practice's local time (America/New York)" in times
    assert re.search(r"\(practice \d{1,2}:\d\d [AP]M E[SD]T\)", times)
    confirm = get(browser, first_slot(browser, dosing.id))
    assert "The practice's time" in confirm and re.search(r'class="time-practice">[^<]*E[SD]T',
                                                          confirm)
    make_appointment(prepared, dosing, hours(80))
    listing = get(browser, "/appointments")
    assert re.search(r"at the practice: [^<]*E[SD]T", listing)


def test_video_sessions_show_only_the_clients_time_and_the_therapists(browser, client_user,
                                                                       therapist):
    consultation = type_of(therapist, CONSULTATION)
    times = get(browser, f"/book/{consultation.id}")
    assert "(practice " not in times and "each time also shows" not in times
    confirm = get(browser, first_slot(browser, consultation.id))
    assert "Your therapist&#39;s time" in confirm and "The practice's time" not in confirm


def test_the_practice_time_is_not_repeated_when_the_zones_agree(app, factories, therapist):
    neighbour = make_eligible(factories.make_client(therapist, timezone=NEW_YORK))
    complete_consultation(neighbour)
    complete_preparation(neighbour)
    browser = signed_in(app, neighbour)
    times = get(browser, f"/book/{type_of(therapist, DOSING).id}")
    assert "(practice " not in times


# --- the home page says the same ------------------------------------------------------------
def test_the_home_page_points_an_eligible_client_to_the_consultation_first(browser, client_user,
                                                                           therapist):
    make_eligible(client_user)
    consultation = type_of(therapist, CONSULTATION)
    home = get(browser, "/home")
    assert 'data-step="consultation_first"' in home
    assert "Preparation sessions open after a consultation" in home
    assert f'href="/book/{consultation.id}"' in home
    make_appointment(client_user, consultation, hours(30))
    home = get(browser, "/home")
    assert "Preparation sessions open after your consultation on" in home
    complete_consultation(client_user)
    assert 'data-step="book_preparation"' in get(browser, "/home")
