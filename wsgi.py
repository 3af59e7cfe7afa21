"""WSGI entry point: `gunicorn wsgi:app` (see docs/deploy.md) or `flask --app wsgi ...`."""
from portal import create_app

app = create_app()
