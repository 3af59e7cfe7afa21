"""`?next=` after sign-in goes only to paths on this site, never to another host."""
import html
import re
from urllib.parse import quote

import pyotp
import pytest

from portal.security.redirects import safe_next
from tests.conftest import csrf_from
from tests.factories import DEFAULT_PASSWORD

EVIL = [
    "//evil.example",
    "/\\evil.example",
    "\t//evil.example",
    "https://evil.example",
    "javascript:alert(1)",
]


@pytest.mark.parametrize(("target", "expected"), [
    ("/account", "/account"),
    ("/therapist/clients?page=2", "/therapist/clients?page=2"),
    ("/home#top", "/home#top"),
    ("/", "/"),
    ("//evil.example", "/home"),
    ("///evil.example", "/home"),
    ("/\\evil.example", "/home"),
    ("\\\\evil.example", "/home"),
    ("\\/evil.example", "/home"),
    ("\t//evil.example", "/home"),
    ("/\t/evil.example", "/home"),
    ("/\n/evil.example", "/home"),
    ("/\r\n/evil.example", "/home"),
    (" //evil.example", "/home"),
    ("/\x00/evil.example", "/home"),
    ("/\x7f/evil.example", "/home"),
    ("%09//evil.example", "/home"),
    ("https://evil.example", "/home"),
    ("http:evil.example", "/home"),
    ("HTTPS://evil.example/account", "/home"),
    ("javascript:alert(1)", "/home"),
    ("data:text/html,<script>alert(1)</script>", "/home"),
    ("evil.example", "/home"),
    ("account", "/home"),
    ("", "/home"),
    (None, "/home"),
    (["/account"], "/home"),
    ("/" + "a" * 2001, "/home"),
])
def test_safe_next_keeps_only_local_paths(target, expected):
    assert safe_next(target, "/home") == expected


def sign_in_with_next(client, email, raw_query):
    """Open the sign-in page with `?next=<raw_query>` and submit it as a browser would."""
    page = client.get(f"/auth/login?next={raw_query}").get_data(as_text=True)
    hidden = re.search(r'<input[^>]*name="next"[^>]*value="([^"]*)"', page)
    return client.post(f"/auth/login?next={raw_query}", data={
        "csrf_token": csrf_from(page), "email": email, "password": DEFAULT_PASSWORD,
        "next": html.unescape(hidden.group(1)) if hidden else ""})


# Each evil target, percent-encoded as a link would carry it, plus hand-written forms: a
# literal %09 (tab) and %5C (backslash) inside an otherwise readable address.
EVIL_QUERIES = [quote(target, safe="") for target in EVIL] + [
    "%09//evil.example", "/%5Cevil.example", "//evil.example", "https://evil.example"]


@pytest.mark.parametrize("raw_query", EVIL_QUERIES)
def test_sign_in_never_sends_you_to_another_site(client, factories, raw_query):
    user = factories.make_client()
    response = sign_in_with_next(client, user.email, raw_query)
    assert response.status_code == 302
    assert response.headers["Location"] == "/home"


def test_a_tab_typed_into_the_next_field_itself_is_refused(client, auth, factories):
    user = factories.make_client()
    response = auth.post("/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD,
                                         "next": "\t//evil.example"})
    assert response.headers["Location"] == "/home"


def test_a_local_next_is_honoured(client, factories):
    user = factories.make_client()
    response = sign_in_with_next(client, user.email, quote("/account", safe=""))
    assert response.headers["Location"] == "/account"


def test_an_anonymous_visit_returns_to_the_page_after_sign_in(client, auth, factories):
    user = factories.make_client()
    response = client.get("/account")
    assert response.status_code == 302
    response = sign_in_with_next(client, user.email, response.headers["Location"]
                                 .split("next=", 1)[1])
    assert response.headers["Location"] == "/account"


@pytest.mark.parametrize(("target", "landing"), [("/account", "/account"),
                                                 ("//evil.example", "/home")])
def test_next_survives_the_second_factor_but_stays_local(client, auth, therapist, target,
                                                         landing):
    response = sign_in_with_next(client, therapist.email, quote(target, safe=""))
    assert response.headers["Location"] == "/auth/mfa"
    response = auth.post("/auth/mfa", {"code": pyotp.TOTP(therapist.totp_secret).now()})
    assert response.headers["Location"] == landing
