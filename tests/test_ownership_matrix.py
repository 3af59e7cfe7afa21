"""Every route that takes an object id, tried by people who do not own that object.

Walks app.url_map like tests/test_route_matrix.py: a new route with an id in its path is
covered automatically (add a sample object below for a new kind of id). Another client and the
therapist of another client get 403 or 404 on GET and POST alike, and nothing changes.
"""
from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter

from portal.core.time import utcnow
from portal.core.vocabulary import SessionKind
from portal.extensions import db
from portal.models.audit import AuditEvent
from portal.models.schedule import AvailabilityOverride, AvailabilityRule
from tests.conftest import csrf_from
from tests.factories import DEFAULT_PASSWORD
from tests.scheduling_helpers import make_appointment, open_item9_flag, session_type

ADMIN_ONLY_IDS = {"user_id", "grant_id"}  # admin pages: role-gated, covered by the route matrix


@pytest.fixture
def owned(factories):
    """A therapist's client with something behind every kind of id."""
    from portal.models.journal import JournalEntry
    therapist = factories.make_therapist()
    client = factories.make_client(therapist=therapist)
    video_type = session_type(therapist, SessionKind.PREPARATION)
    appointment = make_appointment(client, video_type, utcnow() + timedelta(minutes=5))
    flag = open_item9_flag(client)
    entry = JournalEntry(client_id=client.id, written_on=date.today(), text="private", shared=True)
    rule = AvailabilityRule(therapist_id=therapist.id, weekday=0, start_time=time(9),
                            end_time=time(12))
    override = AvailabilityOverride(therapist_id=therapist.id, day=date.today(), available=False)
    db.session.add_all([entry, rule, override])
    db.session.commit()
    return {"client_id": client.id, "appointment_id": appointment.id, "flag_id": flag.id,
            "entry_id": entry.id, "type_id": video_type.id, "rule_id": rule.id,
            "override_id": override.id}


def id_routes(app):
    for rule in app.url_map.iter_rules():
        names = set(rule.arguments)
        if names and not names & ADMIN_ONLY_IDS and any(
                isinstance(c, IntegerConverter) for c in rule._converters.values()):
            yield rule


def outsiders(factories):
    other_therapist = factories.make_therapist()
    other_client = factories.make_client(therapist=other_therapist)
    return [("another client", other_client, None),
            ("another therapist", other_therapist, other_therapist.totp_secret)]


@pytest.mark.parametrize("who", ["another client", "another therapist"])
def test_nobody_else_reaches_an_owned_object(app, client, auth, factories, owned, who):
    _, person, secret = next(o for o in outsiders(factories) if o[0] == who)
    auth.login(person.email, DEFAULT_PASSWORD, totp_secret=secret)
    token = csrf_from(client.get("/account").get_data(as_text=True))
    before = db.session.scalar(select(func.max(AuditEvent.id))) or 0
    checked = 0
    for rule in id_routes(app):
        missing = set(rule.arguments) - set(owned)
        assert not missing, f"add a sample object for {missing} ({rule.rule})"
        url = rule.build({name: owned[name] for name in rule.arguments}, append_unknown=False)[1]
        for method in sorted(rule.methods & {"GET", "POST"}):
            if method == "GET":
                response = client.get(url)
            else:
                response = client.post(url, data={"csrf_token": token, "note": "x",
                                                  "message": "x", "status": "completed"})
            assert response.status_code in (403, 404), (who, method, url, response.status_code)
            checked += 1
    assert checked >= 25
    # refusals may be audited, but no record was changed: every new audit row is a refusal
    new_events = db.session.scalars(select(AuditEvent.event).where(AuditEvent.id > before)).all()
    assert all(e in ("call_refused", "booking_refused", "login_success", "session_expired")
               for e in new_events), set(new_events)
