"""Secure messages between sessions (/messages): threads between a client and their own
therapist, encrypted at rest, every read audited, an email notice without content, unread
badges in the nav, the therapist's response hours, closing a thread.

Views in routes.py (threads) and routes_hours.py (response hours); reads in queries.py
(ownership and break-glass first); writes with their audit records in services.py; the rules of
response hours without I/O in hours.py.
"""
from portal.messages import routes, routes_hours  # noqa: F401  (the views attach to the blueprint)
from portal.messages.blueprint import bp  # noqa: F401  (the app factory registers it)
