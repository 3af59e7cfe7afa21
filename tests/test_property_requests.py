"""Random values for every query parameter of every GET route and every field of every form
(hypothesis, issue 14): never a 500, a refused CSRF token is a 400, and the server keeps
serving everyone afterwards.

The routes come from app.url_map, the query parameters from the views' source
(tests/property_routes.py scans it with ast) and the forms from the pages themselves, crawled
as each visitor: a client, a client half-way through the intake, a therapist, an admin, nobody,
and people between the two steps of sign-in (tests/property_world.py builds a practice where
every route answers). Each (visitor, route, form) gets a fixed share of 10,150 requests by its
weight (tests/property_cases.py: more for more parameters or fields), seeded by its name, so a
run is reproducible; at least 10,000 are sent in all.

The SQLite pass runs them all; the PostgreSQL pass runs a tenth (PG_SHARE) as a smoke test of
the same requests against the other database.
"""
import ast
import types
import zlib

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from sqlalchemy import event
from werkzeug.routing import IntegerConverter

from portal.extensions import db
from tests import property_world
from tests.conftest import ON_PG, csrf_from
from tests.property_cases import PG_SHARE, ROLE_OF, TOKEN_PAGE, TOTAL, Discovery, send
from tests.property_routes import query_parameters, reads, url_with
from tests.property_values import path_value, requests


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": False}


@pytest.fixture
def practice(app):
    world, people = property_world.build()
    return world, property_world.browsers(app, people)


@pytest.fixture
def no_fsync(app):
    """SQLite without an fsync per commit (synchronous=FULL is the portal's setting; the
    durability of a commit is not what this test checks, and the fsyncs were most of its
    system time)."""
    if db.engine.dialect.name == "sqlite":
        event.listen(db.engine, "connect", lambda connection, _: connection.execute(
            "PRAGMA synchronous=OFF"))
        db.session.remove()
        db.engine.dispose()


# --- the scan and the crawl -----------------------------------------------------------------
def test_the_scan_names_every_query_parameter_the_views_read(app):
    params, problems = query_parameters(app)
    assert problems == []
    # positive control: reads of each shape are found (get, `in`, a WTForms filter form)
    assert {"q", "status"} <= params["workspace.clients"]
    assert "start" in params["scheduling.reschedule"]
    assert {"actor", "since", "until", "page"} <= params["audit.events"]


def test_the_scan_reports_a_read_it_cannot_name():
    source = "def view():\n    return request.args.get(name) or request.args.get('fixed')\n"
    names, problems = reads(ast.parse(source).body[0], types.ModuleType("portal.x"))
    assert names == {"fixed"} and len(problems) == 1, problems


def test_every_route_and_form_has_requests_to_send(app, practice):
    world, browsers = practice
    found = Discovery(app, world, browsers)
    cases = found.cases()
    covered = {(c.method, c.rule.endpoint) for c in cases}
    wanted = {(m, r.endpoint) for r in app.url_map.iter_rules() for m in ("GET", "POST")
              if m in r.methods}
    assert wanted - covered == set()
    # every parameter a page puts in a link or a GET form is one its view reads
    for endpoint, sent in found.sent.items():
        if endpoint is not None:
            assert set(sent) <= found.params[endpoint], (endpoint, set(sent))
    assert sum(c.examples for c in cases) >= (TOTAL // PG_SHARE if ON_PG else TOTAL)


# --- the property ---------------------------------------------------------------------------
def test_random_requests_never_give_a_500_and_the_server_keeps_serving(app, no_fsync, practice):
    world, browsers = practice
    cases = Discovery(app, world, browsers).cases()
    tokens = {v: csrf_from(b.get(TOKEN_PAGE.get(v, "/account")).get_data(as_text=True))
              for v, b in browsers.items()}
    sent, failures = [], []
    for case in cases:  # every case runs, so one failing run names every failing route
        try:
            sent.append(fuzz(case, browsers[case.visitor], tokens[case.visitor]))
        except Exception as failure:  # hypothesis raises it after shrinking
            failures.append(f"{case.name}: {failure!r}"[:2000])
    assert failures == [], "\n\n".join(failures)
    total = sum(sent)
    print(f"\nproperty test: {total} requests over {len(cases)} cases "
          f"({sum(c.method == 'GET' for c in cases)} GET, "
          f"{sum(c.method == 'POST' for c in cases)} POST)")
    assert total >= (TOTAL // PG_SHARE if ON_PG else TOTAL)
    # the server keeps serving, and nobody was signed out by the noise (the client may be asked
    # to sign a consent version the admin published)
    for visitor in ROLE_OF:
        path, response = "/home", browsers[visitor].get("/home")
        while response.status_code == 302:
            path = response.headers["Location"]
            assert not path.startswith("/auth/"), (visitor, path)
            response = browsers[visitor].get(path)
        assert response.status_code == 200, (visitor, path)
    assert browsers["therapist"].get("/therapist/dashboard").status_code == 200
    assert app.test_client().get("/auth/login").status_code == 200


def fuzz(case, browser, token):
    """Send case.examples random requests of one case; returns how many were sent."""
    converters = case.rule._converters
    paths = {arg: path_value(known, isinstance(converters.get(arg), IntegerConverter),
                             property_world.PATH_CHOICES.get(arg, ()))
             for arg, known in case.path.items()}
    sent = []

    @seed(zlib.crc32(case.name.encode()))
    @settings(max_examples=case.examples, deadline=None, database=None,
              phases=[Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck))
    @given(requests(paths, case.query, case.spec if case.method == "POST" else None, case.json))
    def check(request):
        path, query, data, csrf, body = request
        response = send(browser, case, path, data, query, csrf, body, token)
        response.close()
        sent.append(1)
        where = f"{case.visitor} {case.method} {url_with(case.rule, path)}"
        assert response.status_code < 500, (where, response.status_code)
        if case.method == "POST" and csrf in ("missing", "wrong", "empty") and path == case.path:
            assert response.status_code == 400, (where, response.status_code, "CSRF")

    check()
    return len(sent)
