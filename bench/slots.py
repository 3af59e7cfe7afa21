"""Slot search against history (issue 4, acceptance 7): does finding free slots get slower as a
practice accumulates years of appointments? Goal: 10 years / 1 month ≤ 1.2.

One therapist (New York, weekdays 9–17, the four default session types) with about six
appointments a weekday. Two fresh migrated databases differ only in their past: (a) 1 month of
history, the baseline, and (b) 10 years; both hold the same upcoming bookings, so they must
find the same free slots. A search is what the booking page does: load the therapist's session
types and compute 60 days of free slots for each. The two databases are measured alternately
(a b, b a, a b ...) after a warm-up so that load on the machine affects both alike; the median
of 41 runs of each is reported, and their ratio is the last line.

    .venv/bin/python bench/slots.py                       # temporary SQLite files
    .venv/bin/python bench/slots.py --pg postgresql+psycopg://postgres@127.0.0.1/test
"""
import argparse
import logging
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from datetime import time as wall_time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, func, select, text

from portal import create_app
from portal.config import TestingConfig
from portal.core.vocabulary import Role
from portal.extensions import db
from portal.models.schedule import Appointment, AvailabilityRule, SessionType
from portal.models.user import User
from portal.scheduling import services
from portal.scheduling.slots import free_slots

ZONE = ZoneInfo("America/New_York")
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)  # a Monday; fixed so that runs are comparable
SEARCH_DAYS = 60
SEED = 20260601
NO_LOGIN = "!"  # not a hash: these benchmark accounts cannot sign in
# A weekday's bookings (local start, kind): blocks (session plus buffers) never overlap.
ORDINARY_DAY = [("09:00", "consultation"), ("09:30", "preparation"), ("10:30", "integration"),
                ("12:00", "preparation"), ("13:30", "integration"), ("15:00", "preparation")]
DOSING_DAY = [("09:00", "consultation"), ("09:30", "preparation"), ("11:00", "dosing"),
              ("14:30", "integration"), ("15:30", "preparation"), ("16:30", "consultation")]


# --- databases ------------------------------------------------------------------------------
def postgres_databases(url):
    """Two temporary databases on the server named by `url`, and a function that drops them."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    names = [f"bench_slots_{uuid.uuid4().hex[:8]}_{n}" for n in ("month", "decade")]
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = url.rsplit("/", 1)[0]

    def drop():
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return [f"{base}/{name}" for name in names], drop


def make_app(url):
    config = type("BenchConfig", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": url,
                                                    "OUTBOX_DIR": None, "SMTP_HOST": None})
    app = create_app(config)
    from flask_migrate import upgrade
    logging.disable(logging.INFO)  # Alembic's progress lines are not benchmark output
    with app.app_context():
        upgrade()
    return app


# --- data -----------------------------------------------------------------------------------
def seed_people():
    therapist = User(email="therapist@bench.invalid", name="Therapist", timezone=ZONE.key,
                     role=Role.THERAPIST.value, password_hash=NO_LOGIN)
    db.session.add(therapist)
    db.session.flush()
    clients = [User(email=f"client{n}@bench.invalid", name=f"Client {n}", timezone=ZONE.key,
                    role=Role.CLIENT.value, therapist_id=therapist.id, password_hash=NO_LOGIN)
               for n in range(40)]
    db.session.add_all(clients)
    db.session.add_all(AvailabilityRule(therapist_id=therapist.id, weekday=d,
                                        start_time=wall_time(9), end_time=wall_time(17))
                       for d in range(5))
    services.ensure_default_types(therapist)
    db.session.commit()
    types = {t.kind: t for t in db.session.scalars(select(SessionType).where(
        SessionType.therapist_id == therapist.id))}
    return therapist, [c.id for c in clients], types


def weekdays(first, last):
    day = first
    while day <= last:
        if day.weekday() < 5:
            yield day
        day += timedelta(days=1)


def appointment_rows(therapist, client_ids, types, first_day, last_day):
    """About six appointments a weekday; past ones completed (some no-shows), about one in ten
    cancelled (and that time rebooked); upcoming days only partly booked, so slots remain."""
    today = NOW.astimezone(ZONE).date()
    rows = []
    for day in weekdays(first_day, last_day):
        rng = random.Random(SEED + day.toordinal())  # a day looks the same in both databases
        plan = DOSING_DAY if day.toordinal() % 5 == 0 else ORDINARY_DAY
        if day >= today:
            plan = rng.sample(plan, 3)
        for start_text, kind in plan:
            kind_row = types[kind]
            hour, minute = map(int, start_text.split(":"))
            start = datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE).astimezone(UTC)
            past = start < NOW
            status = ("no_show" if rng.random() < 0.05 else "completed") if past else "booked"
            if rng.random() < 0.1:
                rows.append(_row(kind_row, rng.choice(client_ids), start, "cancelled", len(rows)))
            rows.append(_row(kind_row, rng.choice(client_ids), start, status, len(rows)))
    return rows


def _row(kind, client_id, start, status, n):
    end = start + timedelta(minutes=kind.duration_min)
    created = start - timedelta(days=10)
    return {"therapist_id": kind.therapist_id, "client_id": client_id, "session_type_id": kind.id,
            "kind": kind.kind, "modality": kind.modality, "location": kind.location,
            "starts_at": start, "ends_at": end,
            "block_start": start - timedelta(minutes=kind.buffer_before_min),
            "block_end": end + timedelta(minutes=kind.buffer_after_min),
            "status": status, "idempotency_key": f"bench-{n}", "sequence": 0,
            "created_at": created, "updated_at": created,
            "cancelled_at": created if status == "cancelled" else None,
            "cancelled_by_id": client_id if status == "cancelled" else None,
            "status_changed_at": end if status in ("completed", "no_show") else None}


def build(url, history_days):
    app = make_app(url)
    with app.app_context():
        therapist, client_ids, types = seed_people()
        therapist_id = therapist.id
        first = NOW.astimezone(ZONE).date() - timedelta(days=history_days)
        last = NOW.astimezone(ZONE).date() + timedelta(days=SEARCH_DAYS + 14)
        rows = appointment_rows(therapist, client_ids, types, first, last)
        started = time.perf_counter()
        db.session.execute(Appointment.__table__.insert(), rows)  # Core executemany
        db.session.commit()
        inserted = time.perf_counter() - started
        db.session.execute(text("ANALYZE"))  # as a maintained production database would be
        db.session.commit()
        count = db.session.scalar(select(func.count()).select_from(Appointment))
        db.session.remove()
    return app, therapist_id, count, inserted


# --- measurement ----------------------------------------------------------------------------
def search(app, therapist_id):
    """One booking page's work: the therapist's types, 60 days of free slots for each."""
    with app.app_context():
        started = time.perf_counter()
        kinds = db.session.scalars(select(SessionType).where(
            SessionType.therapist_id == therapist_id).order_by(SessionType.id)).all()
        found = {k.kind: free_slots(k, NOW, NOW + timedelta(days=SEARCH_DAYS), now=NOW)
                 for k in kinds}
        elapsed = time.perf_counter() - started
        db.session.remove()
    return elapsed, found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", metavar="URL", help="run on PostgreSQL (temporary databases "
                        "are created next to the one named and dropped afterwards)")
    parser.add_argument("--runs", type=int, default=41, help="measured runs per database")
    args = parser.parse_args()

    drop = None
    with tempfile.TemporaryDirectory() as tmp:
        if args.pg:
            urls, drop = postgres_databases(args.pg)
        else:
            urls = [f"sqlite:///{Path(tmp) / name}.sqlite3" for name in ("month", "decade")]
        scenarios = []
        try:
            for url, (label, days) in zip(urls, [("1 month", 30), ("10 years", 3652)],
                                          strict=True):
                app, therapist_id, count, inserted = build(url, days)
                scenarios.append((label, app, therapist_id, count))
                print(f"{label:>8} of history: {count:6d} appointments "
                      f"(bulk insert {inserted:.2f} s)")
            results = measure(scenarios, args.runs)
        finally:
            for _, app, *_ in scenarios:
                with app.app_context():
                    db.engine.dispose()
            if drop:
                drop()
    report(results, args)


def measure(scenarios, runs):
    timings = {label: [] for label, *_ in scenarios}
    answers = {}
    for label, app, therapist_id, _ in scenarios:  # warm-up: caches, connections, imports
        for _ in range(3):
            _, answers[label] = search(app, therapist_id)
    for run in range(runs):
        order = scenarios if run % 2 == 0 else scenarios[::-1]  # a b, b a, ...: no order bias
        for label, app, therapist_id, _ in order:
            elapsed, _found = search(app, therapist_id)
            timings[label].append(elapsed)
    month, decade = (answers[label] for label, *_ in scenarios)
    if month != decade:
        raise SystemExit("the two databases found different free slots: the benchmark is wrong")
    slots = sum(len(v) for v in month.values())
    return timings, slots


def report(results, args):
    timings, slots = results
    database = "PostgreSQL" if args.pg else "SQLite"
    print(f"{database}: free slots over {SEARCH_DAYS} days for 4 session types "
          f"({slots} slots found), median of {args.runs} runs after 3 warm-up runs")
    medians = {}
    for label, values in timings.items():
        medians[label] = statistics.median(values)
        print(f"{label:>8} of history: median {medians[label] * 1000:7.2f} ms "
              f"(min {min(values) * 1000:.2f}, max {max(values) * 1000:.2f})")
    ratio = medians["10 years"] / medians["1 month"]
    print(f"goal: ratio <= 1.2 ({'met' if ratio <= 1.2 else 'NOT met'})")
    print(f"ratio: {ratio:.2f}")


if __name__ == "__main__":
    main()
