"""Dosing-day record test data: an in-person dosing session, and the sections of its record
filled through the real forms (CSRF included), with clock times on the session's day in the
therapist's zone."""
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from portal.core.vocabulary import AppointmentStatus, SessionKind
from portal.extensions import db
from portal.models.audit import AuditEvent
from portal.models.dosing import DosingRecord
from tests.conftest import csrf_from
from tests.scheduling_helpers import hhmm
from tests.video_helpers import video_appointment

ZONE = "America/New_York"  # the factories' default zone for everyone


def dosing_session(client, start=None, status=AppointmentStatus.BOOKED):
    """An in-person dosing session of the client with their therapist (by default it began ten
    minutes ago: the record is kept during the session)."""
    start = start or datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=10)
    return video_appointment(client, kind=SessionKind.DOSING, start=start, status=status)


def url(appointment, tail=""):
    return f"/therapist/dosing/{appointment.id}{tail}"


def post(browser, appointment, tail, fields=None):
    token = csrf_from(browser.get("/account").get_data(as_text=True))
    return browser.post(url(appointment, tail), data={"csrf_token": token, **(fields or {})})


def at(appointment, minutes):
    """The wall-clock time `minutes` after the session's start, as the form takes it."""
    return hhmm(appointment.starts_at + timedelta(minutes=minutes), ZONE)


def reading(appointment, check="pre_dose", bp=(128, 82), minutes=0, heart_rate=72, spo2=98):
    return {"check": check, "taken_at": at(appointment, minutes), "systolic": str(bp[0]),
            "diastolic": str(bp[1]), "heart_rate": str(heart_rate), "spo2": str(spo2)}


def dose(appointment, minutes=5, **overrides):
    return {"medication": "Ketamine", "amount": "56 mg", "route": "intranasal",
            "given_at": at(appointment, minutes), "prescriber": "Dr. Ada Rivera", **overrides}


DISCHARGE = {"alert_oriented": "y", "vitals_in_range": "y", "ride_confirmed": "y",
             "driver_name": "Sam Lee", "next_integration": "booked"}


def fill_everything(browser, appointment):
    """Every section a signature needs, through the forms; each save answers 302."""
    for tail, fields in [("/vitals", reading(appointment)),
                         ("/monitor", {"monitor_name": "Nurse Kim Park"}),
                         ("/dose", dose(appointment)),
                         ("/vitals", reading(appointment, "plus_40", (132, 84), minutes=45)),
                         ("/vitals", reading(appointment, "discharge", (124, 80), minutes=125)),
                         ("/observations", {"side_effects": ["nausea", "dizziness"],
                                            "intensity": "6"}),
                         ("/discharge", DISCHARGE)]:
        response = post(browser, appointment, tail, fields)
        assert response.status_code == 302, (tail, response.get_data(as_text=True)[:3000])


def record_of(appointment):
    db.session.expire_all()
    return db.session.scalar(select(DosingRecord).where(
        DosingRecord.appointment_id == appointment.id))


def events(name):
    return db.session.scalar(select(db.func.count()).select_from(AuditEvent).where(
        AuditEvent.event == name))
