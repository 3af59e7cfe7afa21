"""Outgoing email (and, in later issues, reminders and calendar invitations)."""
