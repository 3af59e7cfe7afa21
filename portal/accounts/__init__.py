"""Accounts: sign-in with the second factor, registration, email verification, password reset,
invitations (/auth/...) and each person's account settings and calendar feed (/account/...)."""
from flask import Blueprint

bp = Blueprint("accounts", __name__)

from portal.accounts import (  # noqa: E402,F401
    routes,
    routes_feed,
    routes_mfa,
    routes_password,
    routes_register,
    routes_settings,
)
