"""Therapist workspace pages under a full practice (issue 6, acceptance 6): requests/s of the
therapist dashboard (GET /therapist/dashboard) and of a client page (GET
/therapist/clients/<id>, endpoint workspace.client_page) for a therapist with 200 clients and
2,000 appointments, against a bare Flask route rendering a Jinja template of the same HTML size.
Goal: portal / bare ≥ 0.3 for each page.

The practice is seeded in a temporary migrated SQLite database with the real models (as
tests/factories.py and tests/scheduling_helpers.py build them): 200 clients with intakes (most
reviewed, some waiting for review, a few drafts), signed consents, PHQ-9/GAD-7 results from the
intake and from check-ins (some clients quiet for weeks), open and acknowledged safety flags,
2,000 appointments over 18 months (completed with signed notes, no-shows, cancellations, and
booked ones ahead, several today and tomorrow, dosing sessions within 72 hours with readiness
answers), post-dosing check-ins, and journal entries, some shared. The client page is
measured on the client with the most appointments. The therapist's session is minted as
bench/signaling.py does (UserSession row with MFA passed + the signed session cookie), so no
argon2 or TOTP round is timed.

Both servers are the production kind, fresh processes on loopback ports: gunicorn -w 1 with
geventwebsocket's GeventWebSocketWorker (the portal with SOCKETIO_ASYNC_MODE=gevent). The bare
app is Flask + one Jinja template (a base layout and a table of rows) sized to the portal page
it is compared with; it touches no database. The load is CONNECTIONS keep-alive HTTP/1.1
connections from threads of this process (on the same cores); each target is measured for
--seconds, in rounds that alternate bare and portal so that load on the machine affects both
alike. The last line is the lower of the two page ratios (requests/s, portal / bare).

    .venv/bin/python bench/dashboard.py [--seconds 6] [--rounds 2] [--connections 4] [--profile]

--profile adds, before the table, where a request's time goes: SQL statements per page, the
median in-process request time and the portal's functions by cumulative time (cProfile).
"""
import argparse
import http.client
import logging
import os
import random
import socket
import subprocess
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
BARE_APP = "dashboard:bare_app()"  # gunicorn app spec, run with --chdir bench


# --- the bare app (imported by gunicorn in its own process) ---------------------------------
BARE_BASE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{% block title %}{% endblock %} · Practice</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/css/site.css"></head>
<body><header class="site-header"><nav aria-label="Main"><ul class="nav">
{% for link in nav %}<li><a href="{{ link.href }}">{{ link.label }}</a></li>{% endfor %}
</ul></nav></header>
<main id="main" class="wide">{% block content %}{% endblock %}</main>
<footer class="site-footer"><p>In a crisis call or text 988.</p></footer></body></html>
"""
BARE_PAGE = """{% extends "base.html" %}{% block title %}{{ title }}{% endblock %}
{% block content %}<h1 class="page-title">{{ title }}</h1>
<section class="card stack"><h2>Sessions</h2><div class="table-wrap"><table class="table">
<thead><tr><th scope="col">When</th><th scope="col">Client</th><th scope="col">Session</th>
<th scope="col">Status</th><th scope="col">Note</th></tr></thead><tbody>
{% for row in rows %}<tr data-id="{{ row.id }}"><td>{{ row.when }}</td>
<td><a href="/clients/{{ row.client_id }}">{{ row.name }}</a></td><td>{{ row.kind|capitalize }}</td>
<td><span class="badge">{{ row.status }}</span></td>
<td><a href="/appointments/{{ row.id }}/note">Note<span class="visually-hidden"> for
{{ row.name }}</span></a></td></tr>
{% endfor %}</tbody></table></div></section>{% endblock %}
"""


def bare_rows(n):
    kinds = ("consultation", "preparation", "dosing", "integration")
    return [{"id": 1000 + i, "client_id": 10 + i % 200, "name": f"Client Number {i % 200}",
             "when": f"Thu 26 Nov 2026, {1 + i % 12}:{i % 60:02d} PM",
             "kind": kinds[i % 4], "status": "completed"} for i in range(n)]


def bare_app():
    """Flask with one route per page, each rendering BARE_PAGE with enough rows to weigh what
    the portal page weighs (BENCH_BARE_BYTES="dashboard:N,client:M")."""
    from flask import Flask, render_template
    from jinja2 import DictLoader

    app = Flask("bare")
    app.jinja_loader = DictLoader({"base.html": BARE_BASE, "page.html": BARE_PAGE})
    nav = [{"href": f"/{n}", "label": n.capitalize()} for n in ("dashboard", "clients", "account")]
    rows = bare_rows

    def sized(target):
        """Rows needed for the page to reach `target` bytes (the row cost measured once)."""
        with app.test_request_context():
            one = len(render_template("page.html", title="Page", nav=nav, rows=rows(1)).encode())
            two = len(render_template("page.html", title="Page", nav=nav, rows=rows(2)).encode())
        return max(1, 1 + round((target - one) / (two - one)))

    targets = dict(item.split(":") for item in os.environ["BENCH_BARE_BYTES"].split(","))
    counts = {name: sized(int(size)) for name, size in targets.items()}

    def view(name):
        def render():
            return render_template("page.html", title=name.capitalize(), nav=nav,
                                   rows=rows(counts[name]))
        render.__name__ = f"page_{name}"
        return render

    for name in counts:
        app.add_url_rule(f"/{name}", view_func=view(name))
    app.add_url_rule("/healthz", view_func=lambda: "ok", endpoint="healthz")
    return app


def gunicorn_cmd(port, app_spec, chdir=None):
    cmd = [str(Path(sys.executable).parent / "gunicorn"), "-k",
           "geventwebsocket.gunicorn.workers.GeventWebSocketWorker", "-w", "1",
           "-b", f"127.0.0.1:{port}", "--no-control-socket"]
    return cmd + (["--chdir", str(chdir)] if chdir else []) + [app_spec]


class BareServer:
    """The bare app under the same gunicorn worker as the portal, on a free loopback port."""

    def __init__(self, workdir, sizes):
        from tests.ports import free_port
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(workdir) / f"bare-{self.port}.log"
        self.env = dict(os.environ, BENCH_BARE_BYTES=",".join(f"{k}:{v}" for k, v in sizes.items()))
        self.process = None

    def start(self):
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(gunicorn_cmd(self.port, BARE_APP, ROOT / "bench"),
                                            env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        return self

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"bare server exited:\n{self.log_path.read_text()}")
            try:
                if fetch(self.port, "/healthz")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("bare server not ready")

    def stop(self):
        from tests.rtc import PortalServer
        PortalServer.stop(self)  # same: SIGTERM to its process group, then SIGKILL


# --- the practice ---------------------------------------------------------------------------
def minted_cookie(app, user_id):
    """A fully signed-in session (MFA passed), as the login form would leave it."""
    from bench.signaling import minted_cookie as mint
    return mint(app, user_id)


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
    """In this process, through Flask's test client on the same database: SQL statements per
    request, the median request time, and the portal's own functions by cumulative time."""
    import cProfile
    import pstats
    import statistics

    from sqlalchemy import event

    from portal import create_app
    from portal.extensions import db
    from tests.rtc import testing_config

    app = create_app(testing_config(database_url))
    browser = app.test_client()
    name, value = cookie.split("=", 1)
    browser.set_cookie(name, value, domain="localhost")
    statements = []
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute",
                 lambda conn, cursor, sql, *rest: statements.append(sql))
    floor = floor_route(app, browser)
    for page, path in pages.items():
        assert browser.get(path).status_code == 200
        size = len(browser.get(path).data)
        floor["rows"] = 1
        one = len(browser.get("/_bench/floor").data)
        floor["rows"] = 2
        floor["rows"] = max(1, 1 + round((size - one) / (len(browser.get("/_bench/floor").data)
                                                         - one)))
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            browser.get("/_bench/floor")
            timings.append(time.perf_counter() - started)
        print(f"portal stack alone, signed in, a page of the same size ({floor['rows']} table "
              f"rows in base.html, no query of its own): median "
              f"{statistics.median(timings) * 1000:.1f} ms per request in-process")
        statements.clear()
        browser.get(path)
        count, kinds = len(statements), {}
        for sql in statements:
            words = sql.split()
            kind = (f"SELECT {words[words.index('FROM') + 1]}" if words[0] == "SELECT"
                    else " ".join(words[:3]))
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


def floor_route(app, browser):
    """A route on the in-process portal app rendering BARE_PAGE's table inside the portal's own
    base.html for a signed-in therapist: the cost of the portal's stack without the page's work
    (session and user lookup, access checks, CSRF, CSP nonce, headers, the layout)."""
    from flask import current_app, render_template

    from portal.models.user import Role
    from portal.security.access import role_required

    body = BARE_PAGE.split("{% block content %}", 1)[1]
    template = '{% extends "base.html" %}{% block title %}Floor{% endblock %}{% block content %}'
    floor = {"rows": 1}

    compiled = {}

    @role_required(Role.THERAPIST)
    def bench_floor():
        # compiled once, as Flask caches the portal's own templates
        if "template" not in compiled:
            compiled["template"] = current_app.jinja_env.from_string(template + body)
        return render_template(compiled["template"], title="Floor",
                               rows=bare_rows(floor["rows"]))

    app.add_url_rule("/_bench/floor", view_func=bench_floor)
    assert browser.get("/_bench/floor").status_code == 200
    return floor


PROFILED = {"render_template", "full_dispatch_request", "preprocess_request", "process_response",
            "_execute_internal", "url_for"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="per target and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--profile", action="store_true",
                        help="also show where a request's time goes (in-process, after the run)")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    from tests.rtc import PortalServer

    started = time.perf_counter()
    servers = []
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp:
        database_url = f"sqlite:///{Path(tmp) / 'portal.sqlite3'}"
        pages, cookie, counts = build(database_url)
        print(f"practice: {counts['clients']} clients, {counts['appointments']:,} appointments "
              f"({counts['notes']:,} signed notes), {counts['intakes']} intakes, "
              f"{counts['measures']:,} measures, {counts['flags']} flags, {counts['journal']} "
              f"journal entries, {counts['post_dosing']} post-dosing check-ins; client page of "
              f"the busiest client ({counts['busiest']} appointments); "
              f"seeded in {counts['seed_seconds']:.1f} s")
        if "client" not in pages:
            print("client page: endpoint workspace.client_page does not exist yet: not measured")
        try:
            portal = PortalServer(database_url, Path(tmp) / "portal", gunicorn=True).start()
            servers.append(portal)
            portal.wait_ready()
            sizes = {}
            for name, path in pages.items():
                status, body = fetch(portal.port, path, cookie)
                if status != 200:
                    raise SystemExit(f"{path}: HTTP {status}:\n{portal.log_tail()}")
                sizes[name] = len(body)
            bare = BareServer(tmp, sizes).start()
            servers.append(bare)
            bare.wait_ready()
            targets = []
            for name, path in pages.items():
                bare_size = len(fetch(bare.port, f"/{name}")[1])
                targets.append((name, "bare", bare.port, f"/{name}", None, bare_size))
                targets.append((name, "portal", portal.port, path, cookie, sizes[name]))
            results = measure(targets, args)
        finally:
            for server in servers:
                server.stop()
        if args.profile:
            profile(database_url, pages, cookie)
    report(results, args, time.perf_counter() - started)


def measure(targets, args):
    """Warm up every target, then `rounds` rounds, bare and portal alternating in order."""
    for _, _, port, path, cookie, _ in targets:
        hammer(port, path, cookie, 1.0, args.connections)
    totals = {(page, server): {"requests": 0, "seconds": 0.0, "latency": 0.0, "bytes": size}
              for page, server, *_, size in targets}
    for run in range(args.rounds):
        order = targets if run % 2 == 0 else targets[::-1]
        for page, server, port, path, cookie, _ in order:
            result = hammer(port, path, cookie, args.seconds, args.connections)
            for key in ("requests", "seconds", "latency"):
                totals[(page, server)][key] += result[key]
    return totals


def report(totals, args, whole):
    print(f"GET requests over {args.connections} keep-alive connections, {args.rounds} rounds of "
          f"{args.seconds:g} s per target (after 1 s warm-up), load generated on the same "
          f"{os.cpu_count()} cores; both servers gunicorn -w 1 GeventWebSocketWorker")
    print(f"| {'page':<9} | {'server':<6} | {'requests':>8} | {'seconds':>7} | {'req/s':>7} | "
          f"{'mean ms':>7} | {'page KB':>7} | × bare |")
    print(f"|{'-' * 11}|{'-' * 8}|{'-' * 10}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 8}|")
    ratios = {}
    for (page, server), t in totals.items():
        rate = t["requests"] / t["seconds"]
        t["rate"] = rate
        share = "     -"
        if server == "portal":
            ratios[page] = rate / totals[(page, "bare")]["rate"]
            share = f"{ratios[page]:6.2f}"
        print(f"| {page:<9} | {server:<6} | {t['requests']:>8,} | {t['seconds']:>7.1f} | "
              f"{rate:>7.1f} | {t['latency'] / t['requests'] * 1000:>7.1f} | "
              f"{t['bytes'] / 1024:>7.1f} | {share} |")
    lowest = min(ratios, key=ratios.get)
    print(f"(whole run {whole:.0f} s; ratio = portal / bare requests per second, the lower of "
          f"the pages: {lowest})")
    print(f"ratio: {ratios[lowest]:.2f}")


if __name__ == "__main__":
    main()
