"""Cross-area reactions, declared in one place (blinker, which Flask ships).

The area where something happens sends a signal; areas that react connect a receiver when their
package is imported (its `__init__.py`; the app factory imports every area). The sender never
imports the receiver, so a new reaction needs no change where the event happens. Receivers run
synchronously after the sender's commit (all but appointment_changing), in the sender's request
or socket context, and must not raise: what they react to is already done.

- sessions_revoked(sender=app, session_ids): sent by security.sessions and accounts when
  sessions end (logout, password or role change, deactivation); video closes their sockets.
- appointment_changing(sender=app, appointment, change, message): sent by
  scheduling.services.commit_change just BEFORE its commit, inside the change's transaction;
  notifications queues the emails to both people in it, so they exist if and only if the change
  commits. Its receivers add rows and never commit; one that raises stops the commit.
- appointment_changed(sender=app, appointment, change, message): sent by
  scheduling.services.commit_change after a booking, new time, cancellation or outcome is
  committed; video closes or re-checks the room and sends the therapist's live notice of a
  booking.
- admission_changed(sender=app, appointment_id): sent by video when a client is admitted, sent
  back, leaves or the call ends; video's cached grants of that room are dropped.
- readiness_saved(sender=app, appointment): sent by scheduling.services.commit_readiness after a
  client's dosing-day readiness answers are committed; dosing raises a concern flag for a "no".
"""
from blinker import Namespace

_signals = Namespace()

sessions_revoked = _signals.signal("sessions-revoked")
appointment_changing = _signals.signal("appointment-changing")
appointment_changed = _signals.signal("appointment-changed")
admission_changed = _signals.signal("admission-changed")
readiness_saved = _signals.signal("readiness-saved")
