"""Network namespaces for the stack suite: one server namespace and two client namespaces, each
client joined to the server by a veth pair. Forwarding stays off in the server namespace, so the
clients reach the server's addresses and nothing else (not each other).

Threads of this process enter a namespace with setns(2): sockets a thread opens belong to the
namespace it is in, and threads it starts inherit it. That lets one test process play both
clients (sign-in over HTTPS, Socket.IO, aiortc peers) without a helper process per client.
"""
import contextlib
import ctypes
import os
import subprocess
import threading

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)

# Not private addresses: coturn's denied-peer-ip (deploy/turnserver.conf) refuses relaying to
# private ranges, as it must in production. The namespaces are isolated, so nothing leaks.
SERVER_IP = "11.0.0.1"
CLIENTS = {"c1": ("11.1.0.1", "11.1.0.2"), "c2": ("11.2.0.1", "11.2.0.2")}


def ip(*args, ns=None, check=True):
    cmd = ["ip", "netns", "exec", ns, "ip", *args] if ns else ["ip", *args]
    return subprocess.run(cmd, check=check, capture_output=True, text=True)


class Network:
    """The three namespaces, named with a unique prefix; `remove()` deletes them (and their veths)."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.server = f"{prefix}-srv"
        self.clients = {name: f"{prefix}-{name}" for name in CLIENTS}
        self.made = []

    def create(self):
        subprocess.run(["ip", "netns", "add", self.server], check=True)
        self.made.append(self.server)
        ip("link", "set", "lo", "up", ns=self.server)
        ip("addr", "add", f"{SERVER_IP}/32", "dev", "lo", ns=self.server)
        self.sysctl(self.server, "net.ipv4.ip_forward", "0")
        for short, (server_side, client_side) in CLIENTS.items():
            ns = self.clients[short]
            subprocess.run(["ip", "netns", "add", ns], check=True)
            self.made.append(ns)
            outer, inner = f"{self.prefix}{short}s", f"{self.prefix}{short}c"
            ip("link", "add", outer, "type", "veth", "peer", "name", inner)
            ip("link", "set", outer, "netns", self.server)
            ip("link", "set", inner, "netns", ns)
            ip("addr", "add", f"{server_side}/24", "dev", outer, ns=self.server)
            ip("link", "set", outer, "up", ns=self.server)
            ip("link", "set", "lo", "up", ns=ns)
            ip("addr", "add", f"{client_side}/24", "dev", inner, ns=ns)
            ip("link", "set", inner, "up", ns=ns)
            ip("route", "add", "default", "via", server_side, ns=ns)
        return self

    def link(self, short, up):
        """A client's own link goes down or comes back, as a laptop's Wi-Fi does: its end of the
        veth, in its namespace. When it comes back, its default route is set again (the OS's
        network manager does that; `ip link set down` drops it). Not the server's end: that
        takes the server's route to the client away, so coturn's sends fail with "Network is
        unreachable" and coturn closes the client's allocation, which no real outage far from
        the server does."""
        ns, server_side = self.clients[short], CLIENTS[short][0]
        ip("link", "set", f"{self.prefix}{short}c", "up" if up else "down", ns=ns)
        if up:
            ip("route", "replace", "default", "via", server_side, ns=ns)

    @staticmethod
    def sysctl(ns, key, value):
        subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-qw", f"{key}={value}"], check=True)

    def remove(self):
        for ns in reversed(self.made):
            subprocess.run(["ip", "netns", "delete", ns], check=False)
        self.made = []


@contextlib.contextmanager
def entered(ns):
    """The calling thread is in namespace `ns` until the block ends."""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{ns}", os.O_RDONLY)
    try:
        if _libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {ns}")
        yield
    finally:
        _libc.setns(own, CLONE_NEWNET)
        os.close(own)
        os.close(target)


def run_in(ns, fn, *args, **kwargs):
    """fn(*args) in a fresh thread inside `ns` (threads it starts stay there); returns its result."""
    result = {}

    def target():
        try:
            with entered(ns):
                result["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # re-raised in the caller
            result["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result.get("value")
