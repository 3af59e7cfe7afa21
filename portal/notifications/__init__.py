"""Notifications: outgoing email (email.py), the emails about appointments with their calendar
invitations (appointments.py, ics.py; ics.py also renders the private calendar feed), and the
reminders before appointments, each sent once (reminders.py, run by `flask send-reminders`).

No blueprint. Reactions to other areas' events (portal/core/signals.py), connected once, at
import: a booking, a new time or a cancellation emails both participants.
"""
from portal.core.signals import appointment_changed
from portal.notifications import appointments

appointment_changed.connect(appointments.on_appointment_changed)
