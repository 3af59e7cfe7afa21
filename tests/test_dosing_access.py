"""Who reaches a dosing record: the session's own therapist (positive control); an admin reads
it under break-glass only, read-only; other therapists, admins without a grant and clients
are refused (404, clients 403) on every page and every write, and nothing changes. Only
in-person dosing sessions that are not cancelled have a record."""
from datetime import timedelta

import pytest

from portal.core.time import utcnow
from portal.core.vocabulary import AppointmentStatus, Modality, SessionKind
from portal.extensions import db
from portal.models.breakglass import BreakGlassGrant
from tests.conftest import signed_in
from tests.dosing_helpers import DISCHARGE, dose, dosing_session, events, post, reading, record_of, url
from tests.video_helpers import video_appointment

PAGES = ["", "/print"]
WRITES = ["/vitals", "/monitor", "/override", "/dose", "/observations", "/discharge", "/sign",
          "/addenda"]


def fields(appointment, tail):
    return {"/vitals": reading(appointment), "/dose": dose(appointment),
            "/monitor": {"monitor_name": "Kim"}, "/override": {"reason": "Ten characters+"},
            "/observations": {"side_effects": ["nausea"]}, "/discharge": DISCHARGE,
            "/addenda": {"text": "x"}}.get(tail, {})


@pytest.fixture
def session(client_user):
    return dosing_session(client_user)


def stranger(factories, who):
    if who == "another therapist":
        return factories.make_therapist()
    if who == "an admin without break-glass":
        return factories.make_admin()
    return factories.make_client(factories.make_therapist())


@pytest.mark.parametrize("who, status", [("another therapist", 404),
                                         ("an admin without break-glass", 404),
                                         ("a client", 403)])
def test_nobody_else_reaches_the_record(app, factories, session, who, status):
    browser = signed_in(app, stranger(factories, who))
    for tail in PAGES:
        assert browser.get(url(session, tail)).status_code == status, tail
    for tail in WRITES:
        assert post(browser, session, tail, fields(session, tail)).status_code == status, tail
    assert record_of(session) is None and events("dosing_record_viewed") == 0


def test_the_sessions_own_client_is_refused_too(app, client_user, session):
    browser = signed_in(app, client_user)
    assert browser.get(url(session)).status_code == 403
    assert post(browser, session, "/vitals", reading(session)).status_code == 403


def test_the_sessions_therapist_reaches_every_page_and_write(app, therapist, session):
    browser = signed_in(app, therapist)
    for tail in PAGES:
        assert browser.get(url(session, tail)).status_code == 200, tail
    assert post(browser, session, "/vitals", reading(session)).status_code == 302
    assert post(browser, session, "/monitor", {"monitor_name": "Kim"}).status_code == 302
    assert record_of(session).monitor_name == "Kim"


def test_an_admin_reads_under_break_glass_only_and_never_writes(app, admin, therapist, session):
    post(signed_in(app, therapist), session, "/vitals", reading(session))
    db.session.add(BreakGlassGrant(admin_id=admin.id, client_id=session.client_id,
                                   reason="Covering an emergency", expires_at=utcnow()
                                   + timedelta(hours=1)))
    db.session.commit()
    browser = signed_in(app, admin)
    page = browser.get(url(session))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "128/82" in html
    assert "Add reading" not in html and "Sign and lock the record" not in html
    assert events("break_glass_read") >= 1
    for tail in WRITES:
        assert post(browser, session, tail, fields(session, tail)).status_code == 404, tail
    assert len(record_of(session).vitals) == 1


@pytest.mark.parametrize("kind, modality, status", [
    (SessionKind.PREPARATION, None, AppointmentStatus.BOOKED),
    (SessionKind.INTEGRATION, None, AppointmentStatus.COMPLETED),
    (SessionKind.DOSING, Modality.VIDEO, AppointmentStatus.BOOKED),
    (SessionKind.DOSING, None, AppointmentStatus.CANCELLED),
])
def test_only_in_person_dosing_sessions_have_a_record(app, therapist, client_user, kind,
                                                      modality, status):
    appointment = video_appointment(client_user, kind=kind, status=status)
    if modality is not None:
        appointment.modality = modality.value
        db.session.commit()
    browser = signed_in(app, therapist)
    assert browser.get(url(appointment)).status_code == 404
    assert post(browser, appointment, "/vitals", reading(appointment)).status_code == 404


def test_a_completed_dosing_session_keeps_its_record(app, therapist, client_user):
    ended = dosing_session(client_user, start=utcnow().replace(microsecond=0)
                           - timedelta(hours=30), status=AppointmentStatus.COMPLETED)
    browser = signed_in(app, therapist)
    assert browser.get(url(ended)).status_code == 200
    assert post(browser, ended, "/vitals", reading(ended)).status_code == 302
