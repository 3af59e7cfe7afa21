"""The room page itself (GET /sessions/N, issue 12): it names every module of the room's script
for the browser to fetch with the page (no import waterfall before the camera and the socket
start), and it stays cheap to render."""
import posixpath
import re
from pathlib import Path

import pytest

from tests.video_helpers import Participant, video_appointment

STATIC = Path(__file__).resolve().parent.parent / "static"
IMPORT = re.compile(r'^import\s[^;]*?from\s+"([^"]+)"', re.MULTILINE)


def module_graph(entry):
    """Every module `entry` (a path under static/) loads, itself included, as static paths."""
    seen, todo = set(), [entry]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for spec in IMPORT.findall((STATIC / path).read_text()):
            if spec.startswith("/static/"):
                todo.append(spec.removeprefix("/static/"))
            else:
                todo.append(posixpath.normpath(posixpath.join(posixpath.dirname(path), spec)))
    return seen


@pytest.fixture
def appointment(client_user):
    return video_appointment(client_user, located=True)


def test_the_module_graph_is_found_by_the_test():
    graph = module_graph("js/video/room.js")
    assert {"js/video/room.js", "js/video/media.js", "js/confirm.js",
            "vendor/socket.io/socket.io.esm.min.js"} <= graph


@pytest.mark.parametrize("who", ["therapist", "client"])
def test_the_page_preloads_exactly_the_rooms_modules(app, therapist, client_user, appointment,
                                                      who):
    person = Participant(app, therapist if who == "therapist" else client_user)
    page = person.http.get(f"/sessions/{appointment.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    preloaded = re.findall(r'<link rel="modulepreload" nonce="[^"]+" href="/static/([^"?]+)', html)
    assert sorted(preloaded) == sorted(module_graph("js/video/room.js"))
    assert len(preloaded) == len(set(preloaded))
    nonce = re.search(r"'nonce-([^']+)'", page.headers["Content-Security-Policy"]).group(1)
    assert html.count(f'rel="modulepreload" nonce="{nonce}"') == len(preloaded)


def test_the_camera_and_socket_start_from_an_async_module_in_the_head(app, therapist,
                                                                    appointment):
    html = Participant(app, therapist).http.get(f"/sessions/{appointment.id}").get_data(
        as_text=True)
    head = html.split("</head>")[0]
    assert re.search(r'<script type="module" async nonce="[^"]+" src="/static/js/video/early.js">',
                     head)
    assert "js/video/early.js" in module_graph("js/video/room.js")  # the same instance
    assert '<link rel="icon" href="data:,">' in head  # no /favicon.ico request to the app


def test_the_benchmarks_bare_room_page_starts_the_same_way():
    """bench/bare_room (the baseline of bench/browser_call.py and reconnect.py) preloads the same
    modules and starts early.js too, so the ratio compares the servers, not the page heads."""
    html = (STATIC.parent / "bench" / "bare_room" / "index.html").read_text()
    preloaded = re.findall(r'<link rel="modulepreload" href="/static/([^"]+)"', html)
    assert sorted(preloaded) == sorted(module_graph("js/video/room.js"))
    assert '<script type="module" async src="/static/js/video/early.js">' in html
