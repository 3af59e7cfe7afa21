"""Accounts: login with MFA, registration, email verification, password reset, invitations."""
from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")

from portal.auth import routes, routes_mfa, routes_password, routes_register  # noqa: E402,F401
