"""Chromium inside a client namespace of the stack suite, driven by Playwright.

Playwright talks to Chromium over a pipe (file descriptors it hands down), not over the network,
so the browser can run where its owner cannot reach: `executable_path` is a small script that
runs `ip netns exec <ns> /usr/bin/chromium "$@"`. Every packet of the browser (HTTPS to nginx,
the /video WebSocket, ICE with coturn) then crosses that client's veth link.

TLS: the stack's nginx presents a certificate of the suite's own test CA. The browser trusts
exactly that key (`--ignore-certificate-errors-spki-list` with the server key's SPKI hash), not
every certificate, so the pages stay secure contexts and getUserMedia works.

A page hook (`HOOKS`) keeps every RTCPeerConnection the page makes (`window.__pcs`) so a test can
read getStats() of the call without the room's modules exposing their connection.
"""
import base64
import contextlib
import hashlib
import os
import stat
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tests.e2e.conftest import fill_sign_in

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", "--no-sandbox",
    "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
TIMEOUT_MS = 30_000  # sign-in (argon2) and ICE through coturn on a busy 2-core machine

HOOKS = """(() => {
  const Original = window.RTCPeerConnection;
  if (!Original) return;
  window.__pcs = [];
  window.RTCPeerConnection = function (...args) {
    const pc = new Original(...args);
    window.__pcs.push(pc);
    return pc;
  };
  window.RTCPeerConnection.prototype = Original.prototype;
  Object.setPrototypeOf(window.RTCPeerConnection, Original);
})();"""

# Every moment (Date.now(), ms) the page decoded more remote video frames, over all its
# connections (a repaired call may have a new one), read from getStats every 50 ms: the page's
# own "frames are arriving now", as tests/stack/call.py's FrameWatch for aiortc peers.
FRAME_WATCH = """(() => {
  window.__frames = [];
  const seen = new WeakMap();
  setInterval(async () => {
    for (const pc of window.__pcs || []) {
      if (pc.connectionState === 'closed') continue;
      let decoded = 0;
      (await pc.getStats()).forEach((r) => {
        if (r.type === 'inbound-rtp' && r.kind === 'video') decoded += r.framesDecoded || 0;
      });
      if (decoded > (seen.get(pc) || 0)) {
        seen.set(pc, decoded);
        window.__frames.push(Date.now());
        if (window.__frames.length > 4000) window.__frames.splice(0, 2000);
      }
    }
  }, 50);
})();"""

# The remote <video> shows a picture and its clock moves (as tests/e2e/test_room_call.py).
PLAYING = """() => { const v = document.getElementById('remote-video');
    return !!v && v.videoWidth > 0 && v.currentTime > 0 && !v.paused; }"""

# The selected ICE pair of the page's newest connected RTCPeerConnection, with its candidates.
SELECTED_PAIR = """async () => {
  const pc = window.__pcs.filter((p) => p.connectionState === 'connected').pop();
  if (!pc) return null;
  const report = await pc.getStats();
  let pairId = null;
  report.forEach((r) => {
    if (r.type === 'transport' && r.selectedCandidatePairId) pairId = r.selectedCandidatePairId;
  });
  let pair = null;
  report.forEach((r) => {
    if (r.type !== 'candidate-pair') return;
    if (pairId ? r.id === pairId : (r.nominated && r.state === 'succeeded')) pair = r;
  });
  if (!pair) return null;
  const local = report.get(pair.localCandidateId), remote = report.get(pair.remoteCandidateId);
  return { from: pairId ? 'transport.selectedCandidatePairId' : 'nominated succeeded pair',
           local: local.candidateType, remote: remote.candidateType,
           localAddress: `${local.address}:${local.port}/${local.protocol}`,
           remoteAddress: `${remote.address}:${remote.port}/${remote.protocol}`,
           relayProtocol: local.relayProtocol || null };
}"""



def spki_hash(pem_path):
    """base64(SHA-256(SubjectPublicKeyInfo)) of the first certificate in `pem_path`."""
    cert = x509.load_pem_x509_certificate(Path(pem_path).read_bytes())
    der = cert.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def namespace_wrapper(directory, ns, chromium=CHROMIUM):
    """An executable script that starts Chromium inside network namespace `ns`."""
    path = Path(directory) / f"chromium-in-{ns}"
    path.write_text(f'#!/bin/sh\nexec ip netns exec {ns} {chromium} "$@"\n')
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def launch_in(playwright, ns, directory, trusted_cert=None, extra_args=()):
    """A headless Chromium (fake camera and microphone) whose network is namespace `ns`;
    `trusted_cert`: a PEM whose first certificate's key the browser accepts for TLS."""
    args = list(CHROMIUM_ARGS) + list(extra_args)
    if trusted_cert is not None:
        args.append(f"--ignore-certificate-errors-spki-list={spki_hash(trusted_cert)}")
    return playwright.chromium.launch(
        executable_path=str(namespace_wrapper(directory, ns)), headless=True, args=args)


def person(browser, base_url, hooks=True, scripts=()):
    """A fresh browser context (one participant) with camera and microphone allowed; its page.
    `scripts`: more init scripts, run in every page of the context after HOOKS."""
    context = browser.new_context(base_url=base_url, permissions=["camera", "microphone"])
    context.set_default_timeout(TIMEOUT_MS)
    for script in ([HOOKS] if hooks else []) + list(scripts):
        context.add_init_script(script)
    return context.new_page()


def sign_in(page, email, password, totp_secret=None):
    """Sign in through the real pages, like a person would; waits until signed in."""
    fill_sign_in(page, email, password, totp_secret)
    page.wait_for_url(lambda url: "/auth/" not in url)


@contextlib.contextmanager
def browsers_in(playwright, namespaces, directory, trusted_cert=None, extra_args=()):
    """One Chromium per namespace (a dict like `namespaces`), all closed at the end."""
    launched = {}
    try:
        for key, ns in namespaces.items():
            launched[key] = launch_in(playwright, ns, directory, trusted_cert, extra_args)
        yield launched
    finally:
        for browser in launched.values():
            with contextlib.suppress(Exception):
                browser.close()
