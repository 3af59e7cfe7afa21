"""Every route, found by walking app.url_map, checked for access, CSRF and security headers.

A new route is covered without anyone remembering to add it here: if it is public, it must be in
PUBLIC_ENDPOINTS (a reviewed decision); otherwise anonymous users are sent to sign in, clients
are refused routes of other roles, and every POST without a CSRF token gets 400.
"""
import re

import pytest
from werkzeug.routing import IntegerConverter

from tests.factories import DEFAULT_PASSWORD

PUBLIC_ENDPOINTS = {
    "static", "main.index", "main.crisis", "ops.healthz", "ops.readyz", "ops.dev_outbox",
    "accounts.login", "accounts.logout", "accounts.mfa_verify", "accounts.mfa_enrol",
    "accounts.register", "accounts.verify_email", "accounts.resend_verification",
    "accounts.reset_request", "accounts.reset_password", "accounts.accept_invite",
    "accounts.confirm_email_change", "scheduling.calendar_feed",
    # Like mfa_verify: it answers only a session past both factors whose password an admin set
    # (sessions.password_change_session), and sends anyone else to sign in.
    "accounts.choose_password",
    # Passkeys (issue 14, part 5). Passwordless sign-in is for people not signed in, like the
    # password form; the second factor answers only a pending session, like mfa_verify; the
    # set-up page and its two calls answer only a clinician the practice's passkey rule holds
    # after sign-in (sessions.passkey_setup_session), like choose_password.
    "accounts.passkey_sign_in_options", "accounts.passkey_sign_in",
    "accounts.mfa_passkey_options", "accounts.mfa_passkey",
    "accounts.passkey_setup", "accounts.passkey_setup_options", "accounts.passkey_setup_add",
}
REQUIRED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def sample_url(rule):
    """Fill every converter of a rule with a harmless sample value."""
    values = {}
    for name, converter in rule._converters.items():
        values[name] = 999999 if isinstance(converter, IntegerConverter) else "sample"
    return rule.build(values, append_unknown=False)[1]


def routes(app, method):
    for rule in app.url_map.iter_rules():
        if method in rule.methods and rule.endpoint != "static":
            yield rule


def check_headers(response, authenticated=False):
    for name, value in REQUIRED_HEADERS.items():
        assert response.headers.get(name) == value, name
    csp = response.headers["Content-Security-Policy"]
    for part in ("default-src 'self'", "object-src 'none'", "base-uri 'none'",
                 "frame-ancestors 'none'"):
        assert part in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert re.search(r"script-src 'self' 'nonce-[A-Za-z0-9_-]{20,}'", csp)
    policy = response.headers["Permissions-Policy"]
    for feature in ("camera=(self)", "microphone=(self)", "display-capture=(self)"):
        assert feature in policy
    assert response.headers["Cache-Control"] == "no-store"


def test_public_endpoints_are_exactly_the_reviewed_list(app):
    public = {endpoint for endpoint, view in app.view_functions.items()
              if getattr(view, "public", False)}
    assert public | {"static"} == PUBLIC_ENDPOINTS


def test_anonymous_users_are_sent_to_sign_in_on_every_protected_route(app, client):
    for rule in routes(app, "GET"):
        url = sample_url(rule)
        response = client.get(url)
        check_headers(response)
        if rule.endpoint in PUBLIC_ENDPOINTS:
            assert response.status_code < 500, url
            continue
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/auth/login"), url
        json_response = client.get(url, headers={"Accept": "application/json"})
        assert json_response.status_code == 401, url
        assert json_response.get_json()["error"]["status"] == 401


def test_every_post_without_csrf_token_is_refused(app, client, auth, factories):
    user = factories.make_client()
    auth.login(user.email, DEFAULT_PASSWORD)
    for rule in routes(app, "POST"):
        url = sample_url(rule)
        response = client.post(url, data={"anything": "x"})
        assert response.status_code == 400, url
        check_headers(response)
        as_json = client.post(url, json={"anything": "x"}, headers={"Accept": "application/json"})
        assert as_json.status_code == 400, url
    # still signed in: the refused posts changed nothing (logout included)
    assert client.get("/home").status_code == 200


def test_every_post_without_csrf_token_is_refused_for_anonymous_users(app, client):
    for rule in routes(app, "POST"):
        response = client.post(sample_url(rule), data={"anything": "x"})
        assert response.status_code == 400, rule.rule


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_clients_cannot_reach_therapist_or_admin_routes(app, client, auth, factories, method):
    user = factories.make_client()
    auth.login(user.email, DEFAULT_PASSWORD)
    gated = [rule for rule in routes(app, method)
             if getattr(app.view_functions[rule.endpoint], "roles", None)
             and "client" not in app.view_functions[rule.endpoint].roles]
    assert gated, "expected some therapist/admin routes"
    for rule in gated:
        url = sample_url(rule)
        if method == "GET":
            response = client.get(url)
        else:
            token = csrf_token_for(client)
            response = client.post(url, data={"csrf_token": token})
        assert response.status_code == 403, url
        check_headers(response)


def test_therapists_cannot_reach_admin_routes(app, client, auth, therapist):
    auth.login(therapist.email, DEFAULT_PASSWORD, totp_secret=therapist.totp_secret)
    admin_only = [r for r in routes(app, "GET")
                  if getattr(app.view_functions[r.endpoint], "roles", None) == {"admin"}]
    assert admin_only
    for rule in admin_only:
        assert client.get(sample_url(rule)).status_code == 403, rule.rule


def test_signed_in_pages_carry_security_headers(app, client, auth, admin):
    auth.login(admin.email, DEFAULT_PASSWORD, totp_secret=admin.totp_secret)
    for rule in routes(app, "GET"):
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        response = client.get(sample_url(rule))
        roles = getattr(app.view_functions[rule.endpoint], "roles", None)
        expected = (403,) if roles and "admin" not in roles else (200, 302, 403, 404)
        assert response.status_code in expected, rule.rule
        check_headers(response, authenticated=True)


def test_every_page_has_a_fresh_nonce(client):
    first = client.get("/auth/login").headers["Content-Security-Policy"]
    second = client.get("/auth/login").headers["Content-Security-Policy"]
    assert first != second


def csrf_token_for(client):
    html = client.get("/account").get_data(as_text=True)
    return re.search(r'name="(?:[a-z]+-)?csrf_token"[^>]*value="([^"]+)"', html).group(1)
