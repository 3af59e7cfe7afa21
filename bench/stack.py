"""The production stack for the benchmarks (needs root): tests/stack/services.Stack as the stack
suite starts it (PostgreSQL, Redis, coturn, two gunicorn gevent processes of the portal on
8001/8002, nginx with TLS on 443, in a server namespace with two client namespaces c1 and c2),
plus the baseline on the same path: bare_relay.py as two processes on 8101/8102 sharing the
stack's Redis, behind a second nginx rendered from the same deploy/nginx-portal.conf, on 8443.

    with running_stack() as stack:
        bare = start_bare(stack)          # https://11.0.0.1:8443 (nginx) → 8101/8102
        ...

`profiled_apps(stack, directory)` restarts the portal's two processes under cProfile (a
gunicorn config file whose hooks start the profiler in the worker and write it when the
worker exits); `print_profile(paths)` prints the top entries.
"""
import contextlib
import os
import pstats
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BARE_PORTS = (8101, 8102)
BARE_TLS_PORT = 8443
STACK_REDIS = "redis://127.0.0.1:6379/1"  # the portal uses db 0; pub/sub channels differ too


@contextlib.contextmanager
def running_stack(prefix="bn"):
    """The stack suite's stack, started and removed again (namespaces, processes, files)."""
    from tests.rtc import server_keys
    from tests.stack.services import Stack

    if os.geteuid() != 0:
        raise SystemExit("the stack needs root (network namespaces)")
    tmp = tempfile.mkdtemp(prefix="bench-stack-")
    os.chmod(tmp, 0o755)  # noqa: S103 - the postgres user reaches its data directory inside
    stack = Stack(tmp, prefix + uuid.uuid4().hex[:4])
    saved = os.environ.get("REQUESTS_CA_BUNDLE")
    try:
        stack.start(server_keys())
        os.environ["REQUESTS_CA_BUNDLE"] = str(stack.ca)
        yield stack
    except BaseException:
        for name in stack.procs:  # shown on failure
            if name not in ("postgres", "coturn"):
                print(f"--- {name} log (tail) ---\n{stack.log_tail(name, 25)}", file=sys.stderr)
        for log in (stack.tmp / "error.log", stack.tmp / "bare-nginx" / "error.log"):
            with contextlib.suppress(OSError):
                tail = "\n".join(log.read_text(errors="replace").splitlines()[-10:])
                print(f"--- {log} (tail) ---\n{tail}", file=sys.stderr)
        raise
    finally:
        if saved is None:
            os.environ.pop("REQUESTS_CA_BUNDLE", None)
        else:
            os.environ["REQUESTS_CA_BUNDLE"] = saved
        stack.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def start_bare(stack, behind_nginx=True, profile_dir=None):
    """bare_relay.py ×2 in the server namespace with the stack's Redis; with `behind_nginx`,
    the deployed nginx site in front of it on BARE_TLS_PORT. Returns the nginx URL (or the
    first process's URL)."""
    from tests.stack import render
    from tests.stack.netns import SERVER_IP
    from tests.stack.services import _http_ok, wait_for

    argv = [sys.executable, str(ROOT / "bench" / "bare_relay.py"), "--port", str(BARE_PORTS[0]),
            "--processes", str(len(BARE_PORTS)), "--redis", STACK_REDIS,
            "--channel", f"bare-relay-{uuid.uuid4().hex[:8]}"]
    if profile_dir:
        argv += ["--profile", str(profile_dir)]
    stack.spawn("bare", argv, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    for port in BARE_PORTS:
        wait_for(lambda p=port: stack.in_server(_http_ok, f"http://127.0.0.1:{p}/healthz"),
                 f"bare relay :{port}", stack, "bare")
    if not behind_nginx:
        return f"http://127.0.0.1:{BARE_PORTS[0]}"
    tmp = stack.tmp / "bare-nginx"
    tmp.mkdir(exist_ok=True)
    conf = render.nginx(tmp, stack.cert, stack.key, BARE_PORTS)
    site = (tmp / "portal.conf").read_text()
    site = render._sub(site, "listen 443 ssl http2;", f"listen {BARE_TLS_PORT} ssl http2;")
    site = render._sub(site, "listen [::]:443 ssl http2;", "")
    site = render._sub(site, "    listen 80;\n    listen [::]:80;\n", "    listen 8080;\n")
    site = render._sub(site, "shared:portal_tls:", "shared:bare_tls:")
    (tmp / "portal.conf").write_text(site)
    stack.spawn("bare-nginx", ["nginx", "-c", str(conf), "-g", "daemon off;"])
    url = f"https://{SERVER_IP}:{BARE_TLS_PORT}"
    wait_for(lambda: stack.in_server(_http_ok, f"{url}/healthz", stack.ca), "bare nginx",
             stack, "bare-nginx")
    return url


PROFILE_HOOKS = '''
import cProfile, os, time
_profile = cProfile.Profile(time.process_time)  # CPU time: a greenlet's waits are not counted

def post_worker_init(worker):  # after the app is loaded: imports are not counted
    _profile.enable()

def worker_exit(server, worker):
    _profile.disable()
    _profile.dump_stats(os.path.join({directory!r}, "app-%d.prof" % os.getpid()))
'''


def profiled_apps(stack, directory):
    """Restart the portal's two gunicorn processes with cProfile in their workers (CPU time,
    from the loaded app on); their profiles land in `directory` when they stop (stop_apps).
    Under gevent the profiler sees every greenlet of the process in one stack, so own time
    (tottime) is the reliable column; waits on PostgreSQL or Redis are not CPU and not shown."""
    from tests.stack import render
    from tests.stack.services import APP_PORTS, _http_ok, wait_for

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o777)  # noqa: S103 - the app may run as another user
    hooks = directory / "profile_hooks.py"
    hooks.write_text(PROFILE_HOOKS.format(directory=str(directory)))
    for index, port in enumerate(APP_PORTS):
        stack.kill(f"app{index}")
        argv, unit_env = render.gunicorn(port)
        env = {"PATH": os.environ["PATH"], "PYTHONUNBUFFERED": "1", **stack.env, **unit_env}
        stack.spawn(f"app{index}", [*argv[:1], "-c", str(hooks), *argv[1:]], env=env)
        wait_for(lambda p=port: stack.in_server(_http_ok, f"http://127.0.0.1:{p}/healthz"),
                 f"gunicorn :{port}", stack, f"app{index}")


def stop_apps(stack):
    from tests.stack.services import APP_PORTS
    for index in range(len(APP_PORTS)):
        stack.kill(f"app{index}", wait=20)


def print_profile(paths, top=25, title="profile", own_code=None):
    """The top entries of the merged cProfile files: by own time, and (`own_code`, a path
    fragment such as "/portal/") that code's functions by cumulative time."""
    paths = [str(p) for p in paths if Path(p).exists()]
    if not paths:
        print(f"{title}: no profile written")
        return
    stats = pstats.Stats(*paths)
    print(f"--- {title}: top {top} by own CPU time ---")
    stats.sort_stats("tottime").print_stats(top)
    if own_code:
        print(f"--- {title}: functions under {own_code}, by cumulative CPU time ---")
        stats.sort_stats("cumulative").print_stats(own_code, top)


def print_both_profiles(stack, profile_dir):
    """Stop the portal's workers and the bare relay (cProfile writes at exit), then print the
    portal's profile and the bare relay's."""
    stop_apps(stack)
    stack.kill("bare")
    print_profile(profile_dir.glob("app-*.prof"), title="portal workers (both)",
                  own_code="/portal/")
    print_profile(profile_dir.glob("bare-*.prof"), title="bare relay (both)", top=15)


def load():
    """The machine's load averages (1, 5, 15 minutes) as a printable string."""
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg()) + \
        f" on {os.cpu_count()} cores"
