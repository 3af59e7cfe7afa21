"""The stack suite: started once per session, skipped unless selected (`-m stack` or STACK=1),
because it needs root, nginx and coturn, and takes minutes (see docs/deploy.md)."""
import logging
import os
import shutil
import tempfile
import uuid

import pytest

REQUIRED = ("ip", "nginx", "turnserver", "redis-server")


def _selected(config):
    return os.environ.get("STACK") == "1" or "stack" in (config.getoption("markexpr") or "")


def _missing():
    problems = [f"{tool} not installed (make stack-packages)" for tool in REQUIRED
                if shutil.which(tool) is None]
    if os.geteuid() != 0:
        problems.append("network namespaces need root")
    return problems


def pytest_collection_modifyitems(config, items):
    stack_items = [item for item in items if item.get_closest_marker("stack")]
    if not stack_items:
        return
    if not _selected(config):
        reason = "stack suite: run with `make test-stack` (-m stack or STACK=1)"
    elif _missing():
        if os.environ.get("CI", "").strip().lower() == "true":
            raise pytest.UsageError("CI=true but the stack cannot run: " + "; ".join(_missing()))
        reason = "stack suite cannot run: " + "; ".join(_missing())
    else:
        return
    for item in stack_items:
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def stack():
    """nginx (TLS) → two gunicorn processes → PostgreSQL and Redis, and coturn, in a server
    namespace; two client namespaces reach it. Everything is removed at the end, even on failure."""
    from tests.rtc import server_keys
    from tests.stack.services import Stack

    tmp = tempfile.mkdtemp(prefix="portal-stack-")
    os.chmod(tmp, 0o755)  # noqa: S103 - the postgres user reaches its data directory inside
    running = Stack(tmp, "st" + uuid.uuid4().hex[:4])
    saved = os.environ.get("REQUESTS_CA_BUNDLE")
    try:
        running.start(server_keys())
        # The migrations' alembic.ini turned the root logger to INFO: keep the peers' ICE
        # chatter out of the suite's output (warnings still show).
        for name in ("aioice", "aiortc", "alembic"):
            logging.getLogger(name).setLevel(logging.WARNING)
        os.environ["REQUESTS_CA_BUNDLE"] = str(running.ca)  # sign_in's requests trust the test CA
        yield running
    finally:
        if saved is None:
            os.environ.pop("REQUESTS_CA_BUNDLE", None)
        else:
            os.environ["REQUESTS_CA_BUNDLE"] = saved
        running.stop()
        for name in ("nginx", "app0", "app1", "coturn"):  # shown on failure
            print(f"--- {name} log (tail) ---\n{running.log_tail(name, 40)}")
        shutil.rmtree(tmp, ignore_errors=True)
