"""The background sender: one per web process, delivering the outbox off the request path.

Started by the process's first request when OUTBOX_SENDER is on (development and production;
tests deliver on commit instead, and CLI commands never start it). It wakes as soon as a commit
of its process queues an email, and every OUTBOX_POLL_SECONDS for retries and for emails queued
by other processes; once an hour it deletes old emails. With more than one process (or the
`flask send-outbox` timer alongside), claims keep each email to one sender.
"""
import logging
import threading
from time import monotonic

from flask import current_app

from portal.extensions import socketio
from portal.notifications import outbox

log = logging.getLogger(__name__)

PURGE_EVERY_S = 3600


class Sender:
    def __init__(self):
        self._lock = threading.Lock()
        self._task = None
        self._stopping = False

    def start(self, app):
        """Start the loop for `app` (once per process; later calls do nothing)."""
        with self._lock:
            if self._task is not None:
                return
            self._stopping = False
            self._task = socketio.start_background_task(self._run, app)

    def stop(self):
        """End the loop after its current pass (tests; a process exit ends it anyway)."""
        with self._lock:
            task, self._task, self._stopping = self._task, None, True
        outbox.wake()
        if task is not None:
            task.join(timeout=30)

    def _run(self, app):
        purged_at = None
        while not self._stopping:
            try:
                with app.app_context():
                    outbox.deliver_due()
                    if purged_at is None or monotonic() - purged_at > PURGE_EVERY_S:
                        outbox.purge()
                        purged_at = monotonic()
            except Exception as exc:  # keep sending; the class is enough for the log
                log.error("outbox pass failed error=%s", type(exc).__name__)
            outbox.wait_for_work(app.config["OUTBOX_POLL_SECONDS"])


sender = Sender()


def start_sender():
    """before_request hook: the first request of a web process starts its sender."""
    if current_app.config.get("OUTBOX_SENDER"):
        sender.start(current_app._get_current_object())
