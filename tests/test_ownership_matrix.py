"""Every route that takes an object id, tried by people who do not own that object, and by the
owner (the positive control: without it a route that refused everyone would pass).

Walks app.url_map like tests/test_route_matrix.py: a new route with an id in its path is
covered automatically (add a sample object below for a new kind of id). Another client (of
another therapist, and of the same therapist), the therapist of another client and an admin
without break-glass get 403 or 404 on GET and POST alike, and nothing changes. Some routes
answer only in a given state; STATE_FOR gives each its object in that state, so none is
skipped for want of an answering fixture.
"""
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter

from portal.core.time import utcnow
from portal.core.vocabulary import AppointmentStatus, SessionKind
from portal.extensions import db
from portal.models.audit import AuditEvent
from portal.models.schedule import AvailabilityOverride, AvailabilityRule
from portal.scheduling import slots
from tests.conftest import csrf_from, signed_in
from tests.passkey_helpers import make_passkey
from tests.scheduling_helpers import (
    EVERY_DAY,
    complete_consultation,
    make_appointment,
    make_eligible,
    open_item9_flag,
    session_type,
    submit_intake,
    weekly_hours,
)

ADMIN_ONLY_IDS = {"user_id", "grant_id"}  # admin pages: role-gated, see test_security_matrices.py
# endpoint -> {id name: fixture key}: the object in the state where the route answers.
STATE_FOR = {
    # dosing only, open from 48 hours before the start until the start
    "scheduling.readiness": {"appointment_id": "dosing_soon_id"},
    # the day-after check-in: a dosing session that has ended
    "care.post_dosing": {"appointment_id": "dosing_ended_id"},
    # session notes: a session that has ended
    "workspace.note": {"appointment_id": "dosing_ended_id"},
    "workspace.save_note": {"appointment_id": "dosing_ended_id"},
    "workspace.add_addendum": {"appointment_id": "dosing_ended_id"},
    "workspace.autosave_note": {"appointment_id": "dosing_ended_id"},
    "workspace.appointment_status": {"appointment_id": "dosing_ended_id"},
    # the dosing-day record: an in-person dosing session (here, one that has ended)
    **{f"dosing.{name}": {"appointment_id": "dosing_ended_id"} for name in (
        "record", "print_record", "add_vitals", "save_monitor", "record_override", "record_dose",
        "save_observations", "save_discharge", "sign", "add_addendum")},
}
# A session type is the therapist's offer to all their clients, not one client's object: a
# second client of the same therapist may book it (so /book/<type_id> is no hole for them).
SHARED_WITHIN_PRACTICE = {"type_id"}
# GET routes that need a query string to answer (the chosen time of a booking).
QUERY_FOR = {"scheduling.confirm": "start", "workspace.book_for_client_confirm": "start"}


@pytest.fixture
def owned(factories):
    """A therapist's client with something behind every kind of id, in every answering state."""
    from portal.models.journal import JournalEntry
    therapist = factories.make_therapist()
    client = factories.make_client(therapist=therapist)
    submit_intake(client)
    make_eligible(client)
    complete_consultation(client)  # so preparation times answer the client (/book/<type_id>)
    weekly_hours(therapist, days=EVERY_DAY)
    video_type = session_type(therapist, SessionKind.PREPARATION)
    dosing_type = session_type(therapist, SessionKind.DOSING)
    appointment = make_appointment(client, video_type, utcnow() + timedelta(minutes=5))
    dosing_soon = make_appointment(client, dosing_type, utcnow() + timedelta(hours=24))
    dosing_ended = make_appointment(client, dosing_type, utcnow() - timedelta(hours=30),
                                    status=AppointmentStatus.COMPLETED)
    flag = open_item9_flag(client)
    entry = JournalEntry(client_id=client.id, written_on=date.today(), text="private", shared=True)
    rule = AvailabilityRule(therapist_id=therapist.id, weekday=0, start_time=time(9),
                            end_time=time(12))
    override = AvailabilityOverride(therapist_id=therapist.id, day=date.today(), available=False)
    db.session.add_all([entry, rule, override])
    db.session.commit()
    passkey = make_passkey(client)
    from portal.messages import services as messages
    thread = messages.start_thread(client, "A question", "Hello")
    db.session.commit()
    now = datetime.now(UTC)
    free = slots.free_slots(video_type, now + timedelta(days=3), now + timedelta(days=10))
    assert free, "the therapist works every day: a free time within the week"
    return {"client_id": client.id, "appointment_id": appointment.id, "flag_id": flag.id,
            "entry_id": entry.id, "type_id": video_type.id, "rule_id": rule.id,
            "override_id": override.id, "dosing_soon_id": dosing_soon.id,
            "dosing_ended_id": dosing_ended.id, "passkey_id": passkey.id,
            "thread_id": thread.id,
            "start": free[0].astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "client": client, "therapist": therapist}


def id_routes(app):
    for rule in app.url_map.iter_rules():
        names = set(rule.arguments)
        if names and not names & ADMIN_ONLY_IDS and any(
                isinstance(c, IntegerConverter) for c in rule._converters.values()):
            yield rule


def url_of(rule, owned):
    values = {name: owned[STATE_FOR.get(rule.endpoint, {}).get(name, name)]
              for name in rule.arguments}
    missing = set(rule.arguments) - set(owned)
    assert not missing, f"add a sample object for {missing} ({rule.rule})"
    url = rule.build(values, append_unknown=False)[1]
    if rule.endpoint in QUERY_FOR:
        url += f"?{QUERY_FOR[rule.endpoint]}={owned[QUERY_FOR[rule.endpoint]]}"
    return url


def post_data(owned, token):
    """A complete, valid-looking form for any of these POSTs, so a refusal is about ownership,
    not validation (the owner's POSTs below go through with the same data)."""
    return {"csrf_token": token, "note": "x", "message": "x", "status": "completed",
            f"flag{owned['flag_id']}-note": "Called the client; safe."}


def owners_of(app, rule):
    """Which side owns the object of a route: the client, the therapist, or both."""
    roles = getattr(app.view_functions[rule.endpoint], "roles", None)
    if roles is None or {"client", "therapist"} <= set(roles):
        return ("client", "therapist")  # the video room, cancel and reschedule: both sides
    return ("client",) if "client" in roles else ("therapist",)


def outsider(factories, owned, who):
    if who == "another client":
        return factories.make_client(therapist=factories.make_therapist())
    if who == "another client of the same therapist":
        return factories.make_client(therapist=owned["therapist"])
    if who == "another therapist":
        return factories.make_therapist()
    return factories.make_admin()  # an admin without a break-glass grant


OUTSIDERS = ["another client", "another client of the same therapist", "another therapist",
             "an admin without break-glass"]


@pytest.mark.parametrize("who", OUTSIDERS)
def test_nobody_else_reaches_an_owned_object(app, factories, owned, who):
    browser = signed_in(app, outsider(factories, owned, who))
    token = csrf_from(browser.get("/account").get_data(as_text=True))
    before = db.session.scalar(select(func.max(AuditEvent.id))) or 0
    checked = 0
    for rule in id_routes(app):
        if who.endswith("same therapist") and set(rule.arguments) & SHARED_WITHIN_PRACTICE:
            continue
        url = url_of(rule, owned)
        for method in sorted(rule.methods & {"GET", "POST"}):
            if method == "GET":
                response = browser.get(url)
            else:
                response = browser.post(url, data=post_data(owned, token))
            assert response.status_code in (403, 404), (who, method, url, response.status_code)
            checked += 1
    assert checked >= 25
    # refusals may be audited, but no record was changed: every new audit row is a refusal
    new_events = db.session.scalars(select(AuditEvent.event).where(AuditEvent.id > before)).all()
    assert all(e in ("call_refused", "booking_refused", "login_success", "session_expired")
               for e in new_events), set(new_events)


@pytest.mark.parametrize("side", ["client", "therapist"])
def test_the_owner_reaches_every_id_route(app, owned, side):
    """Positive control: the same URLs answer the owner (GET), so the refusals above are about
    ownership, not about a missing or wrongly stated fixture."""
    browser = signed_in(app, owned[side])
    checked = []
    for rule in id_routes(app):
        if side not in owners_of(app, rule) or "GET" not in rule.methods:
            continue
        url = url_of(rule, owned)
        response, path = browser.get(url), url
        for _ in range(3):  # the video room sends the client to confirm their location first
            if response.status_code != 302:
                break
            path = response.headers["Location"]
            response = browser.get(path)
        assert response.status_code == 200, (side, url, path, response.status_code)
        assert not path.startswith("/auth/"), (side, url, path)
        assert "not open now" not in response.get_data(as_text=True), (side, url)
        checked.append(rule.endpoint)
    assert len(checked) >= (8 if side == "client" else 10), checked


def test_every_id_route_is_answered_for_someone(app):
    """No id route is left without an owner who gets through (POST-only routes are exercised
    in the positive controls of their area's tests; here: they have an owner side)."""
    for rule in id_routes(app):
        assert owners_of(app, rule), rule.rule


def test_the_owner_harmless_posts_go_through(app, owned):
    """Positive control on POST: unsharing a journal entry (client) and acknowledging a flag
    (therapist) work for the owner with the same form data the outsiders sent."""
    from portal.models.journal import JournalEntry
    from portal.models.measure import SafetyFlag
    for side, path, check in [
            ("client", f"/journal/{owned['entry_id']}/unshare",
             lambda: not db.session.get(JournalEntry, owned["entry_id"]).shared),
            ("therapist", f"/therapist/flags/{owned['flag_id']}/acknowledge",
             lambda: db.session.get(SafetyFlag, owned["flag_id"]).acknowledged_at is not None)]:
        browser = signed_in(app, owned[side])
        token = csrf_from(browser.get("/account").get_data(as_text=True))
        response = browser.post(path, data=post_data(owned, token))
        assert response.status_code == 302, (side, path, response.status_code)
        db.session.expire_all()
        assert check(), (side, path)
