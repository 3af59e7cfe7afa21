"""A free loopback TCP port, for the servers that tests and benchmarks start (SMTP, gunicorn,
the portal under aiortc peers)."""
import socket


def free_port():
    """A port nobody listens on right now; the caller binds it straight away."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
