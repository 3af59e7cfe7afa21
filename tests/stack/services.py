"""The production stack of docs/deploy.md, started in the server namespace, in this order:
PostgreSQL (a private cluster: the suite restarts it), Redis, coturn, two gunicorn processes
(GeventWebSocketWorker), nginx with TLS. `Stack.stop()` ends every process it started."""
import contextlib
import datetime
import ipaddress
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.stack import render
from tests.stack.netns import SERVER_IP, Network, run_in

PG_BIN = Path("/usr/lib/postgresql/15/bin")
APP_PORTS = (8001, 8002)
TURN_SECRET = "stack-suite-turn-secret"


def make_certificates(tmp):
    """A test CA and the server's certificate for SERVER_IP (nginx and coturn share it)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stack suite test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(hours=1))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SERVER_IP)]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(SERVER_IP))]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    (tmp / "ca.pem").write_bytes(ca.public_bytes(pem))
    (tmp / "server.pem").write_bytes(cert.public_bytes(pem) + ca.public_bytes(pem))
    (tmp / "server.key").write_bytes(key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    os.chmod(tmp / "server.key", 0o600)
    return tmp / "ca.pem", tmp / "server.pem", tmp / "server.key"


class Stack:
    def __init__(self, tmp, prefix):
        self.tmp = Path(tmp)
        self.net = Network(prefix)
        self.procs = {}
        self.base_url = f"https://{SERVER_IP}"
        self.pg_dir = self.tmp / "pg"
        self.pg_sock = self.tmp / "pgsock"
        self.database_url = f"postgresql+psycopg://postgres@/portal?host={self.pg_sock}&port=5433"

    # --- processes ------------------------------------------------------------------------
    def spawn(self, name, argv, env=None, user=None):
        """A process in the server namespace, in its own process group, logging to tmp/name.log."""
        prefix = ["ip", "netns", "exec", self.net.server]
        if user:
            prefix += ["runuser", "-u", user, "--"]
        with open(self.tmp / f"{name}.log", "ab") as log:
            self.procs[name] = subprocess.Popen(prefix + argv, env=env, stdout=log,
                                                stderr=subprocess.STDOUT, start_new_session=True,
                                                cwd=render.ROOT)
        return self.procs[name]

    def kill(self, name, sig=signal.SIGTERM, wait=10):
        proc = self.procs.get(name)
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)

    def log_tail(self, name, lines=30):
        try:
            return "\n".join((self.tmp / f"{name}.log").read_text(errors="replace")
                             .splitlines()[-lines:])
        except OSError:
            return "(no log)"

    # --- the services, in start order -----------------------------------------------------
    def start_postgres(self):
        if not self.pg_dir.exists():
            for d in (self.pg_dir, self.pg_sock):
                d.mkdir()
                shutil.chown(d, "postgres", "postgres")
            subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "initdb"), "-A",
                            "trust", "-U", "postgres", "-D", str(self.pg_dir)],
                           check=True, capture_output=True)
        self.spawn("postgres", [str(PG_BIN / "postgres"), "-D", str(self.pg_dir), "-p", "5433",
                                "-c", "listen_addresses=", "-c", f"unix_socket_directories={self.pg_sock}",
                                "-c", "fsync=off"], user="postgres")
        wait_for(lambda: subprocess.run(
            [str(PG_BIN / "pg_isready"), "-h", str(self.pg_sock), "-p", "5433"],
            capture_output=True).returncode == 0, "PostgreSQL", self, "postgres")

    def create_database(self):
        subprocess.run([str(PG_BIN / "createdb"), "-h", str(self.pg_sock), "-p", "5433",
                        "-U", "postgres", "portal"], check=True)

    def start_redis(self):
        self.spawn("redis", ["redis-server", "--bind", "127.0.0.1", "--port", "6379",
                             "--save", "", "--appendonly", "no", "--dir", str(self.tmp)])
        wait_for(lambda: self.in_server(_tcp_open, 6379), "Redis", self, "redis")

    def start_coturn(self):
        conf = render.turnserver(self.tmp, self.cert, self.key, TURN_SECRET)
        self.spawn("coturn", ["turnserver", "-c", str(conf)])
        wait_for(lambda: self.in_server(_tcp_open, 3478, SERVER_IP), "coturn", self, "coturn")

    def app_env(self, keys):
        env = render.environment({
            **keys, "DATABASE_URL": self.database_url, "REDIS_URL": "redis://127.0.0.1:6379/0",
            "INSTANCE_PATH": str(self.tmp / "instance"),
            "AUDIT_CHECKPOINT_PATH": str(self.tmp / "instance" / "checkpoints.jsonl"),
            "TURN_SECRET": TURN_SECRET, "SMTP_HOST": None, "SMTP_PORT": None,
            "SMTP_USERNAME": None, "SMTP_PASSWORD": None, "SMTP_STARTTLS": None})
        (self.tmp / "instance").mkdir(exist_ok=True)
        return env

    def start_app(self, index):
        port = APP_PORTS[index]
        argv, unit_env = render.gunicorn(port)
        env = {"PATH": os.environ["PATH"], "PYTHONUNBUFFERED": "1", **self.env, **unit_env}
        self.spawn(f"app{index}", argv, env=env)
        wait_for(lambda: self.in_server(_http_ok, f"http://127.0.0.1:{port}/healthz"),
                 f"gunicorn :{port}", self, f"app{index}")

    def start_nginx(self):
        conf = render.nginx(self.tmp, self.cert, self.key, APP_PORTS)
        self.spawn("nginx", ["nginx", "-c", str(conf), "-g", "daemon off;"])
        wait_for(lambda: self.in_server(_http_ok, f"{self.base_url}/healthz", self.ca),
                 "nginx", self, "nginx")

    def start(self, keys):
        self.net.create()
        self.ca, self.cert, self.key = make_certificates(self.tmp)
        self.start_postgres()
        self.create_database()
        from tests.rtc import migrate
        migrate(self.database_url)
        self.start_redis()
        self.start_coturn()
        self.env = self.app_env(keys)
        for index in range(len(APP_PORTS)):
            self.start_app(index)
        self.start_nginx()
        return self

    def stop(self):
        for name in reversed(list(self.procs)):
            self.kill(name, signal.SIGINT if name == "postgres" else signal.SIGTERM)
        self.net.remove()

    def in_server(self, fn, *args):
        return run_in(self.net.server, fn, *args)


def _tcp_open(port, host="127.0.0.1"):
    import socket
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


def _http_ok(url, verify=True):
    with contextlib.suppress(requests.RequestException):
        return requests.get(url, timeout=2, verify=verify).ok
    return False


def wait_for(predicate, what, stack, name, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        proc = stack.procs.get(name)
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited:\n{stack.log_tail(name)}")
        if predicate():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} not ready after {timeout} s:\n{stack.log_tail(name)}")
