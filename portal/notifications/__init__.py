"""Notifications: outgoing email through the outbox (email.py queues a rendered email in the
caller's transaction; outbox.py claims, delivers and retries; delivery.py talks SMTP; sender.py
is the web process's background sender; `flask send-outbox` runs a pass), the emails about
appointments with their calendar invitations (appointments.py, ics.py; ics.py also renders the
private calendar feed), and the reminders before appointments, each sent once (reminders.py,
run by `flask send-reminders`).

No blueprint. Reactions to other areas' events (portal/core/signals.py), connected once, at
import: a booking, a new time or a cancellation queues emails to both participants, in the
change's own transaction.
"""
from portal.core.signals import appointment_changing
from portal.notifications import appointments, outbox  # noqa: F401  (outbox: session hooks)

appointment_changing.connect(appointments.on_appointment_changing)
