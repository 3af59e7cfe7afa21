"""Accounts: sign-in with the second factor, registration, email verification, password reset,
invitations (/auth/...) and each person's account settings and calendar feed (/account/...)."""
from portal.accounts import (  # noqa: F401  (the views attach to the blueprint)
    routes,
    routes_feed,
    routes_mfa,
    routes_passkey_auth,
    routes_passkeys,
    routes_password,
    routes_register,
    routes_settings,
)
from portal.accounts.blueprint import bp  # noqa: F401  (the app factory registers it)
