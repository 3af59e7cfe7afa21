"""Cross-area reactions, declared in one place (blinker, which Flask ships).

The area that changes something sends a signal; areas that react connect a receiver in their
`subscribe()` (called by the app factory). The sender never imports the receiver, so a new
reaction needs no change where the event happens. Receivers run synchronously, after the
sender's commit, in the sender's request or socket context.

- sessions_revoked(sender, session_ids): sent by security.sessions when sessions end (logout,
  password change, role change, deactivation); video closes those sessions' sockets.
- appointment_changed(appointment, change, message): sent by scheduling and workspace after a
  booking, reschedule, cancellation or outcome is committed; video closes or re-checks the room,
  notifications sends the emails and the therapist's live notice.
"""
from blinker import Namespace

_signals = Namespace()

sessions_revoked = _signals.signal("sessions-revoked")
appointment_changed = _signals.signal("appointment-changed")
admission_changed = _signals.signal("admission-changed")
