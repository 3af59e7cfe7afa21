"""The files in deploy/ rendered for the stack suite: every change is a substitution of a line
the production file has, so the suite runs the shipped configuration, not a copy of it."""
import re
import shlex
import sys
from pathlib import Path

from tests.stack.netns import SERVER_IP

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
HOST = SERVER_IP  # the certificate names the address; browsers and clients use it as the host


def _sub(text, old, new, count=1):
    assert old in text, f"deploy/ no longer has {old!r}: update tests/stack/render.py"
    return text.replace(old, new) if count is None else text.replace(old, new, count)


def nginx(tmp, cert, key, app_ports):
    """deploy/nginx-portal.conf inside a minimal nginx.conf of our own (pid, logs, temp paths)."""
    site = (DEPLOY / "nginx-portal.conf").read_text()
    found = re.search(r"^    server 127\.0\.0\.1:8000\b.*\n", site, re.M)
    assert found, "deploy/nginx-portal.conf has no `server 127.0.0.1:8000` line"
    upstream = found.group(0)  # with its fault parameters, once per app process
    site = _sub(site, upstream, "".join(upstream.replace(":8000", f":{p}") for p in app_ports))
    site = _sub(site, "/etc/letsencrypt/live/portal.example.org/fullchain.pem", str(cert))
    site = _sub(site, "/etc/letsencrypt/live/portal.example.org/privkey.pem", str(key))
    site = _sub(site, "/srv/kap-portal/static/", f"{ROOT}/static/")
    site = _sub(site, "/var/log/nginx/portal.access.log", str(tmp / "access.log"), count=None)
    site = _sub(site, "portal.example.org", HOST, count=None)
    (tmp / "portal.conf").write_text(site)
    main = f"""
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
worker_processes 1;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/portal.conf;
}}
"""
    (tmp / "nginx.conf").write_text(main)
    return tmp / "nginx.conf"


def turnserver(tmp, cert, key, secret):
    """deploy/turnserver.conf with the test secret, certificate, address and a log file."""
    conf = (DEPLOY / "turnserver.conf").read_text()
    conf = _sub(conf, "static-auth-secret=CHANGE-ME-to-the-TURN_SECRET-of-the-portal",
                f"static-auth-secret={secret}")
    conf = _sub(conf, "# listening-ip=198.51.100.7", f"listening-ip={SERVER_IP}")
    conf = _sub(conf, "cert=/etc/coturn/certs/fullchain.pem", f"cert={cert}")
    conf = _sub(conf, "pkey=/etc/coturn/certs/privkey.pem", f"pkey={key}")
    conf = _sub(conf, "turn.example.org", HOST, count=None)
    conf = _sub(conf, "\nsyslog\n", f"\nlog-file=stdout\npidfile={tmp}/turn.pid\n")
    path = tmp / "turnserver.conf"
    path.write_text(conf)
    return path


def environment(overrides):
    """deploy/env.example as a dict (the values systemd would read), then `overrides`."""
    env = {}
    for line in (DEPLOY / "env.example").read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, _, value = line.partition("=")
        env[name.strip()] = " ".join(shlex.split(value)) if value else ""
    env = {k: v.replace("portal.example.org", HOST).replace("turn.example.org", HOST)
           for k, v in env.items()}
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def gunicorn(port):
    """portal.service's Environment= and ExecStart=, bound to `port` (one process per port)."""
    unit = (DEPLOY / "portal.service").read_text().replace("\\\n", " ")
    env_line = re.search(r"^Environment=(.*)$", unit, re.M).group(1)
    exec_line = re.search(r"^ExecStart=(.*)$", unit, re.M).group(1)
    argv = shlex.split(exec_line)
    assert argv[0] == "/srv/kap-portal/.venv/bin/gunicorn", argv[0]
    argv[0] = str(Path(sys.executable).parent / "gunicorn")
    argv = [a.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for a in argv]
    env = dict(item.split("=", 1) for item in shlex.split(env_line))
    return argv, env
