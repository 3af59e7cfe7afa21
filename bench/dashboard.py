"""Therapist dashboard under a full practice (issue 12): requests/s of GET /therapist/dashboard
for a therapist with 200 clients and 2,000 appointments, against the stack floor: the portal's
own signed-in page with the layout and no queries, served by the same server. Goal: dashboard /
floor >= 0.5.

The floor is a route the bench adds to the real app, only in the bench's server process
(FLOOR_APP is gunicorn's app spec: wsgi.py's app plus that one route; the shipped portal has no
such route). A request to it goes through everything a page request does (the session and user
lookup, the access check, CSRF, the CSP nonce, security headers, the audit hooks, Socket.IO's
WSGI middleware) and renders templates/base.html for the signed-in therapist with a title and an
empty content block. So the ratio says what the dashboard's own work costs (its queries and its
table), not what the portal's stack costs.

The practice is seeded in a temporary migrated SQLite database with the real models (as
tests/factories.py and tests/scheduling_helpers.py build them): 200 clients with intakes (most
reviewed, some waiting for review, a few drafts), signed consents, PHQ-9/GAD-7 results from the
intake and from check-ins (some clients quiet for weeks), open and acknowledged safety flags,
2,000 appointments over 18 months (completed with signed notes, no-shows, cancellations, and
booked ones ahead, several today and tomorrow, dosing sessions within 72 hours with readiness
answers), post-dosing check-ins, and journal entries, some shared. The therapist's session is
minted as bench/signaling.py does (UserSession row with MFA passed + the signed session cookie),
so no argon2 or TOTP round is timed. --client also measures a client page (GET
/therapist/clients/<id>, endpoint workspace.client_page) on the client with the most
appointments, against the same floor; the last line stays the dashboard's ratio.

One server, the production kind, a fresh process on a loopback port: gunicorn -w 1 with
geventwebsocket's GeventWebSocketWorker (SOCKETIO_ASYNC_MODE=gevent). The load is CONNECTIONS
keep-alive HTTP/1.1 connections from threads of this process (on the same cores); each target is
measured for --seconds per round, in rounds that alternate the order of floor and pages so that
load on the machine affects both alike. Rates are the median over rounds.

    .venv/bin/python bench/dashboard.py [--seconds 6] [--rounds 3] [--connections 4] [--client]
                                        [--profile]

--profile adds, after the table, where a request's time goes: SQL statements per page, the
median in-process request time of the floor and of each page, and the portal's functions by
cumulative time (cProfile).
"""
import argparse
import http.client
import logging
import os
import random
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from datetime import time as wall_time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CLIENTS = 200
APPOINTMENTS = 2000
ZONE = "America/New_York"
SEED = 20261126
FLOOR_PATH = "/_bench/floor"
FLOOR_APP = "bench.dashboard:floor_app()"  # gunicorn app spec (cwd: the repository)
FLOOR_TEMPLATE = ('{% extends "base.html" %}{% block title %}Dashboard{% endblock %}'
                  '{% block content %}<h1 class="page-title">Dashboard</h1>{% endblock %}')


# --- the stack floor: one route on the real app, added only here -----------------------------
def add_floor(app):
    """FLOOR_PATH on `app`: for a signed-in therapist, base.html with an empty page, no query of
    its own. Declared like a portal view (role_required), so the access check runs as usual."""
    from flask import render_template

    from portal.models.user import Role
    from portal.security.access import role_required

    compiled = {}

    @role_required(Role.THERAPIST)
    def bench_floor():
        """The bench's therapist: the layout alone."""
        if "template" not in compiled:  # compiled once, as Flask caches the portal's templates
            compiled["template"] = app.jinja_env.from_string(FLOOR_TEMPLATE)
        return render_template(compiled["template"])

    app.add_url_rule(FLOOR_PATH, view_func=bench_floor)
    return app


def floor_app():
    """gunicorn's app (FLOOR_APP): exactly what `gunicorn wsgi:app` serves, plus the floor."""
    from wsgi import app
    return add_floor(app)


# --- the practice ---------------------------------------------------------------------------
def minted_cookie(app, user_id):
    """A fully signed-in session (MFA passed), as the login form would leave it."""
    from bench.signaling import minted_cookie as mint
    return mint(app, user_id, app.config["SESSION_COOKIE_NAME"])


def weekday_slots(first, days, now):
    """Appointment starts, six a weekday at fixed hours in the therapist's zone (no overlaps)."""
    zone = ZoneInfo(ZONE)
    hours = [(9, 0), (10, 30), (12, 0), (13, 30), (15, 0), (16, 30)]
    day = first
    for _ in range(days):
        if day.weekday() < 5:
            for hour, minute in hours:
                yield datetime.combine(day, wall_time(hour, minute), tzinfo=zone).astimezone(UTC)
        day += timedelta(days=1)


def seed_practice(rng):
    """The therapist, 200 clients and their records; returns (therapist id, busiest client id,
    counts for the report). Runs in an app context."""
    from sqlalchemy import func, select

    from portal.core.time import utcnow
    from portal.extensions import db
    from portal.models.care import PostDosingCheckin
    from portal.models.consent import ConsentDocument, ConsentSignature
    from portal.models.intake import Intake, ReviewDecision
    from portal.models.journal import JournalEntry
    from portal.models.measure import MeasureResult, SafetyFlag
    from portal.models.notes import NoteAddendum, SessionNote
    from portal.models.schedule import Appointment, AvailabilityRule, DosingReadiness, SessionType
    from portal.models.user import Role, User
    from portal.scheduling import services as booking
    from portal.workspace.forms import TEMPLATES
    from tests import factories

    now = utcnow().replace(microsecond=0)
    therapist = factories.make_therapist(timezone=ZONE, name="Dr. Bench Therapist")
    booking.ensure_default_types(therapist)
    db.session.add_all(AvailabilityRule(therapist_id=therapist.id, weekday=d,
                                        start_time=wall_time(9), end_time=wall_time(18))
                       for d in range(5))
    types = {t.kind: t for t in db.session.scalars(select(SessionType).where(
        SessionType.therapist_id == therapist.id))}
    password_hash = factories._hash(factories.DEFAULT_PASSWORD)
    clients = [User(email=f"client{n}@bench.invalid", name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                    timezone=ZONE, role=Role.CLIENT.value, therapist_id=therapist.id,
                    password_hash=password_hash, email_verified_at=now,
                    created_at=now - timedelta(days=rng.randint(3, 540)))
               for n in range(CLIENTS)]
    db.session.add_all(clients)
    db.session.flush()

    # Intakes: 12 waiting for review, 8 drafts, the rest reviewed; consents signed.
    documents = ConsentDocument.current()
    for n, client in enumerate(clients):
        if n % 25 == 7:
            db.session.add(Intake(client_id=client.id, status="draft", created_at=client.created_at))
            continue
        submitted = client.created_at + timedelta(days=2)
        intake = Intake(client_id=client.id, status="submitted", created_at=client.created_at,
                        submitted_at=submitted, updated_at=submitted)
        db.session.add(intake)
        if n % 16 != 3:
            db.session.add(ReviewDecision(intake=intake, therapist_id=therapist.id,
                                          decision="eligible" if n % 9 else "needs_clearance",
                                          reason="Meets criteria; no exclusions found.",
                                          private_note="Discussed expectations and supports.",
                                          decided_at=submitted + timedelta(days=1)))
        db.session.add_all(ConsentSignature(client_id=client.id, document_id=d.id,
                                            signed_name=client.name, ip="203.0.113.7",
                                            signed_at=submitted) for d in documents)

    # Measures: intake PHQ-9/GAD-7, then check-ins every ~2 weeks; one client in six quiet.
    for n, client in enumerate(clients):
        quiet_since = rng.randint(16, 60) if n % 6 == 0 else 0
        taken = client.created_at + timedelta(days=2)
        source = "intake"
        while taken < now - timedelta(days=quiet_since):
            for instrument in ("phq9", "gad7"):
                total = rng.randint(2, 20)
                db.session.add(MeasureResult(
                    client_id=client.id, instrument=instrument, source=source, taken_at=taken,
                    result={"items": [total // 9] * (9 if instrument == "phq9" else 7),
                            "total": total, "band": "moderate" if total > 9 else "mild"}))
            taken += timedelta(days=rng.randint(12, 30))
            source = "checkin"

    # Flags: open item-9 and exclusion flags, and acknowledged ones.
    for n in range(30):
        client = clients[(n * 7) % CLIENTS]
        item9 = n % 3 == 0
        db.session.add(SafetyFlag(
            client_id=client.id, kind="item9" if item9 else "contraindication",
            severity="urgent" if item9 else ("exclude" if n % 3 == 1 else "caution"),
            code="phq9_item9" if item9 else rng.choice(["pregnancy", "uncontrolled_hypertension",
                                                        "benzodiazepines"]),
            source="checkin" if item9 else "intake", created_at=now - timedelta(days=n),
            acknowledged_at=None if n < 10 else now - timedelta(days=n - 1),
            acknowledged_by_id=None if n < 10 else therapist.id,
            acknowledgement_note=None if n < 10 else "Called; safety plan agreed."))

    # Appointments: 18 months of weekdays, six slots a day; the past mostly completed with a
    # signed note, ahead booked (six today and tomorrow, dosing within 72 hours).
    today = now.astimezone(ZoneInfo(ZONE)).date()
    starts = list(weekday_slots(today - timedelta(days=540), 570, now))
    soon = [s for s in starts if now - timedelta(hours=2) < s < now + timedelta(days=2)]
    pool = [s for s in starts if s not in soon]
    chosen = sorted(set(rng.sample(pool, APPOINTMENTS - min(len(soon), 8)) + soon[:8]))
    weights = [rng.uniform(0.3, 3.0) for _ in clients]  # some clients are seen far more often
    kinds = ["consultation"] * 1 + ["preparation"] * 4 + ["dosing"] * 2 + ["integration"] * 5
    appointments, notes = [], []
    for n, start in enumerate(chosen):
        client = rng.choices(clients, weights)[0]
        kind = types["dosing" if start in soon[:8] and n % 3 == 0 else rng.choice(kinds)]
        end = start + timedelta(minutes=kind.duration_min)
        past = end < now
        status = ("cancelled" if rng.random() < 0.08 else
                  ("no_show" if rng.random() < 0.04 else "completed") if past else "booked")
        if start in soon:
            status = "booked"
        appointment = Appointment(
            therapist_id=therapist.id, client_id=client.id, session_type_id=kind.id,
            kind=kind.kind, modality=kind.modality, location=kind.location,
            starts_at=start, ends_at=end,
            block_start=start - timedelta(minutes=kind.buffer_before_min),
            block_end=end + timedelta(minutes=kind.buffer_after_min),
            status=status, idempotency_key=uuid.uuid4().hex,
            created_at=start - timedelta(days=10), updated_at=start - timedelta(days=10))
        appointments.append(appointment)
        if status == "completed":
            notes.append((appointment, kind.kind))
    db.session.add_all(appointments)
    db.session.flush()
    for appointment in appointments:
        if appointment.kind == "dosing" and appointment.status == "booked" and \
                appointment.starts_at < now + timedelta(hours=72) and appointment.id % 2:
            db.session.add(DosingReadiness(appointment_id=appointment.id, answers={
                "fasting": "yes", "ride_arranged": "yes", "ride_who": "Sam, my partner",
                "no_alcohol_benzos": "yes", "notes": ""}))
    for n, (appointment, kind) in enumerate(notes):
        if kind == "dosing" and n % 2:  # the check-in the day after (about half answer it)
            db.session.add(PostDosingCheckin(
                client_id=appointment.client_id, appointment_id=appointment.id,
                created_at=appointment.ends_at + timedelta(days=1),
                answers={"sleep": "well", "mood": 7, "nausea": n % 4 == 1, "headache": False,
                         "dissociation": False, "other": False, "other_text": "",
                         "worry_text": "", "phq9_9": 0}))
        note = SessionNote(appointment_id=appointment.id, therapist_id=therapist.id, kind=kind,
                           content={key: f"{key.replace('_', ' ').capitalize()}: observed and "
                                         f"discussed at some length." for key, _ in TEMPLATES[kind]},
                           status="signed", created_at=appointment.ends_at,
                           updated_at=appointment.ends_at, signed_at=appointment.ends_at)
        db.session.add(note)
        if n % 20 == 0:
            db.session.add(NoteAddendum(note=note, author_id=therapist.id,
                                        text="Client called the next day: doing well.",
                                        created_at=appointment.ends_at + timedelta(days=1)))

    # Journal: a few entries per client, about half shared.
    for client in clients:
        for k in range(rng.randint(0, 8)):
            written = (now - timedelta(days=rng.randint(0, 300))).date()
            db.session.add(JournalEntry(client_id=client.id, written_on=written,
                                        text="Walked by the river; the insight about my father "
                                             "came back and felt lighter.",
                                        mood=rng.randint(1, 10), shared=k % 2 == 0))
    db.session.commit()

    busiest = db.session.execute(
        select(Appointment.client_id, func.count()).where(
            Appointment.therapist_id == therapist.id)
        .group_by(Appointment.client_id).order_by(func.count().desc()).limit(1)).one()
    counts = {name: db.session.scalar(select(func.count()).select_from(model)) for name, model in
              [("clients", User), ("appointments", Appointment), ("notes", SessionNote),
               ("measures", MeasureResult), ("flags", SafetyFlag), ("journal", JournalEntry),
               ("intakes", Intake), ("post_dosing", PostDosingCheckin)]}
    counts["clients"] -= 1  # the therapist
    counts["busiest"] = busiest[1]
    return therapist.id, busiest[0], counts


FIRST = ["Avery", "Jordan", "Morgan", "Riley", "Casey", "Quinn", "Harper", "Rowan", "Emerson",
         "Sage", "Parker", "Hayden", "Reese", "Dakota", "Kendall", "Skyler"]
LAST = ["Alvarez", "Bennett", "Chen", "Okafor", "Nguyen", "Fischer", "Haddad", "Kowalski",
        "Lindqvist", "Moreau", "Patel", "Rossi", "Santos", "Tanaka", "Walsh", "Yilmaz"]


def build(database_url):
    """Migrate, seed, mint the therapist's session; the page paths and the cookie."""
    from portal.extensions import db
    from tests.rtc import data_app, migrate

    migrate(database_url)
    with data_app(database_url) as app:
        started = time.perf_counter()
        therapist_id, client_id, counts = seed_practice(random.Random(SEED))
        counts["seed_seconds"] = time.perf_counter() - started
        cookie = minted_cookie(app, therapist_id)
        db.session.commit()
        pages = {"dashboard": "/therapist/dashboard"}
        if "workspace.client_page" in app.view_functions:
            with app.test_request_context():
                from flask import url_for
                pages["client"] = url_for("workspace.client_page", client_id=client_id)
    return pages, cookie, counts


# --- load -----------------------------------------------------------------------------------
def fetch(port, path, cookie=None, connection=None):
    """One GET; (status, body bytes). Reuses `connection` (keep-alive) when given."""
    conn = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = conn.getresponse()
    body = response.read()
    if connection is None:
        conn.close()
    return response.status, body


def hammer(port, path, cookie, seconds, connections):
    """`connections` keep-alive connections GET `path` in a loop for `seconds`."""
    latencies, errors = [], []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.connect()
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        mine = []
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                status, _ = fetch(port, path, cookie, conn)
            except (OSError, http.client.HTTPException) as exc:
                errors.append(repr(exc))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            mine.append(time.perf_counter() - started)
            if status != 200:
                errors.append(f"HTTP {status}")
        conn.close()
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests on {path}, e.g. {errors[:3]}")
    return {"requests": len(latencies), "seconds": elapsed, "latency": sum(latencies)}


# --- where the time goes (--profile) ---------------------------------------------------------
def profile(database_url, pages, cookie, runs=30):
    """In this process, through Flask's test client on the same database and the same floor:
    SQL statements per request, the median request time, and the portal's own functions by
    cumulative time."""
    import cProfile
    import pstats

    from sqlalchemy import event

    from portal import create_app
    from portal.extensions import db
    from tests.rtc import testing_config

    app = add_floor(create_app(testing_config(database_url)))
    browser = app.test_client()
    name, value = cookie.split("=", 1)
    browser.set_cookie(name, value, domain="localhost")
    statements = []
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute",
                 lambda conn, cursor, sql, *rest: statements.append(sql))
    for page, path in {"floor": FLOOR_PATH, **pages}.items():
        assert browser.get(path).status_code == 200, path
        statements.clear()
        browser.get(path)
        count, kinds = len(statements), {}
        for sql in statements:
            words = sql.split()
            kind = (f"SELECT {words[words.index('FROM') + 1]}" if words[0] == "SELECT"
                    and "FROM" in words else " ".join(words[:3]))
            kinds[kind] = kinds.get(kind, 0) + 1
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            browser.get(path)
            timings.append(time.perf_counter() - started)
        print(f"{page} ({path}): median {statistics.median(timings) * 1000:.1f} ms per request "
              f"in-process, {count} SQL statements: "
              + ", ".join(f"{n}× {k}" for k, n in sorted(kinds.items(), key=lambda i: -i[1])))
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(runs):
            browser.get(path)
        profiler.disable()
        stats = pstats.Stats(profiler).sort_stats("cumulative")
        print(f"  cumulative ms per request (cProfile, {runs} requests; profiling inflates times):")
        shown = 0
        for (file, line, function), (_, calls, _, cumulative, _) in sorted(
                stats.stats.items(), key=lambda item: -item[1][3]):
            own = str(ROOT) in file and ".venv" not in file or function in PROFILED
            if own and shown < 18:
                where = file.replace(str(ROOT) + "/", "")
                print(f"  {cumulative / runs * 1000:7.2f}  {where}:{line} {function} "
                      f"({calls // runs} calls)")
                shown += 1
    with app.app_context():
        db.engine.dispose()


PROFILED = {"render_template", "full_dispatch_request", "preprocess_request", "process_response",
            "_execute_internal", "url_for"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="per target and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--client", action="store_true",
                        help="also measure the busiest client's page against the same floor")
    parser.add_argument("--profile", action="store_true",
                        help="also show where a request's time goes (in-process, after the run)")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    from tests.rtc import PortalServer

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp:
        database_url = f"sqlite:///{Path(tmp) / 'portal.sqlite3'}"
        pages, cookie, counts = build(database_url)
        print(f"practice: {counts['clients']} clients, {counts['appointments']:,} appointments "
              f"({counts['notes']:,} signed notes), {counts['intakes']} intakes, "
              f"{counts['measures']:,} measures, {counts['flags']} flags, {counts['journal']} "
              f"journal entries, {counts['post_dosing']} post-dosing check-ins; busiest client "
              f"{counts['busiest']} appointments; seeded in {counts['seed_seconds']:.1f} s")
        if args.client and "client" not in pages:
            print("client page: endpoint workspace.client_page does not exist: not measured")
        if not args.client:
            pages.pop("client", None)
        server = PortalServer(database_url, Path(tmp) / "portal", gunicorn=True)
        server.cmd[-1] = FLOOR_APP  # in place of wsgi:app: the same app, plus the floor
        try:
            server.start().wait_ready()
            targets = []
            for name, path in {"floor": FLOOR_PATH, **pages}.items():
                status, body = fetch(server.port, path, cookie)
                if status != 200:
                    raise SystemExit(f"{path}: HTTP {status}:\n{server.log_tail()}")
                targets.append((name, server.port, path, cookie, len(body)))
            load_before = os.getloadavg()
            rates = measure(targets, args)
            load_after = os.getloadavg()
        finally:
            server.stop()
        report(rates, targets, args, (load_before, load_after))
        if args.profile:
            profile(database_url, pages, cookie)
    print(f"(whole run {time.perf_counter() - started:.0f} s)")
    print(f"ratio: {statistics.median(rates['dashboard']) / statistics.median(rates['floor']):.2f}")


def measure(targets, args):
    """Warm up every target, then `rounds` rounds, the order reversed every other round; the
    requests/s of each target in each round."""
    for _, port, path, cookie, _ in targets:
        hammer(port, path, cookie, 1.0, args.connections)
    rates = {name: [] for name, *_ in targets}
    for run in range(args.rounds):
        for name, port, path, cookie, _ in (targets if run % 2 == 0 else targets[::-1]):
            result = hammer(port, path, cookie, args.seconds, args.connections)
            rates[name].append(result["requests"] / result["seconds"])
    return rates


def report(rates, targets, args, loads):
    print(f"GET requests over {args.connections} keep-alive connections, {args.rounds} rounds of "
          f"{args.seconds:g} s per target (after 1 s warm-up), load generated on the same "
          f"{os.cpu_count()} cores; one server: gunicorn -w 1 GeventWebSocketWorker, "
          f"{FLOOR_APP} (wsgi:app plus {FLOOR_PATH})")
    print("machine load (1, 5, 15 min) before: " + ", ".join(f"{x:.2f}" for x in loads[0])
          + "; after: " + ", ".join(f"{x:.2f}" for x in loads[1]))
    print(f"| {'page':<9} | {'path':<22} | {'median req/s':>12} | {'rounds req/s':<24} | "
          f"{'page KB':>7} | × floor |")
    print(f"|{'-' * 11}|{'-' * 24}|{'-' * 14}|{'-' * 26}|{'-' * 9}|{'-' * 9}|")
    floor = statistics.median(rates["floor"])
    for name, _, path, _, size in targets:
        median = statistics.median(rates[name])
        rounds = ", ".join(f"{r:.1f}" for r in rates[name])
        share = "      -" if name == "floor" else f"{median / floor:7.2f}"
        print(f"| {name:<9} | {path[:22]:<22} | {median:>12.1f} | {rounds:<24} | "
              f"{size / 1024:>7.1f} | {share} |")
    print("ratio = dashboard / floor, median requests per second (goal >= 0.5)")


if __name__ == "__main__":
    main()
