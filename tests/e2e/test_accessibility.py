"""Acceptance 8: no serious or critical axe-core violations on the public and error pages.

axe runs on the whole rendered page in Chromium, colour contrast included. It is injected with
`page.evaluate` (not a <script> tag, which the page's CSP would block).
"""
import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.e2e

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
BLOCKING = {"serious", "critical"}


def axe_violations(page):
    """Run axe on the full page; return the serious and critical violations."""
    page.wait_for_load_state("load")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE)
    results = page.evaluate("""async () => await axe.run(document, {
        resultTypes: ['violations'], rules: {'color-contrast': {enabled: true}}})""")
    return [v for v in results["violations"] if v["impact"] in BLOCKING]


def describe(violations):
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"]:
            lines.append(f"    {json.dumps(node['target'])}: {node['failureSummary']}")
    return "\n".join(lines)


def assert_accessible(page):
    violations = axe_violations(page)
    assert not violations, f"axe violations on {page.url}:\n{describe(violations)}"


# --- public pages -----------------------------------------------------------------------------
@pytest.mark.parametrize("path, heading", [
    ("/", "Welcome to"),
    ("/auth/login", "Sign in"),
    ("/auth/register", "Create your account"),
    ("/auth/reset", "Reset your password"),
    ("/crisis", "Help is available right now"),
])
def test_public_page_is_accessible(page, live_server, path, heading):
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    assert_accessible(page)


def test_registration_with_errors_shown_is_accessible(page, live_server):
    page.goto("/auth/register")
    page.get_by_label("Email address").fill("not-an-email")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Type the password again").fill("different")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("alert")).to_contain_text("Please check the fields marked below")
    expect(page.locator("[aria-invalid=true]")).to_have_count(4)
    assert_accessible(page)


def test_mfa_enrolment_page_is_accessible(page, live_server, factories):
    therapist = factories.make_therapist(with_totp=False)
    sign_in(page, therapist.email, DEFAULT_PASSWORD)
    expect(page).to_have_url(re.compile(r"/auth/mfa/setup$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-step sign-in")
    assert_accessible(page)


def test_signed_in_home_and_idle_warning_are_accessible(page, live_server, factories):
    client = factories.make_client()
    page.clock.install()
    sign_in(page, client.email, DEFAULT_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello")
    assert_accessible(page)
    expect(page.locator("html")).to_have_attribute("data-idle-timer", "ready")
    page.clock.fast_forward("28:05")
    dialog = page.get_by_role("dialog", name="Are you still there?")
    expect(dialog).to_be_visible()
    page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')")
    assert_accessible(page)


# --- error pages ------------------------------------------------------------------------------
def test_400_page_is_accessible(page, live_server):
    page.goto("/auth/login")
    page.locator("input[name=csrf_token]").evaluate("input => { input.value = 'forged' }")
    page.get_by_label("Email address").fill("someone@example.com")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    with page.expect_response(re.compile(r"/auth/login$")) as response:
        page.get_by_role("button", name="Sign in").click()
    assert response.value.status == 400
    expect(page.get_by_role("heading", level=1)).to_have_text("Something was wrong with that request")
    assert_accessible(page)


def test_403_page_is_accessible(page, live_server, factories):
    client = factories.make_client()
    sign_in(page, client.email, DEFAULT_PASSWORD)
    expect(page).to_have_url(re.compile(r"/home$"))
    response = page.goto("/admin/users")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("This page is not available to you")
    assert_accessible(page)


def test_404_page_is_accessible(page, live_server):
    response = page.goto("/no-such-page")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("We could not find that page")
    assert_accessible(page)


@pytest.mark.parametrize("app_config", [{"RATELIMIT_LOGIN": "2 per minute"}])
def test_429_page_is_accessible(page, live_server):
    page.goto("/auth/login")
    for _ in range(3):
        page.get_by_label("Email address").fill("nobody@example.com")
        page.get_by_label("Password").fill("not the password at all")
        with page.expect_response(re.compile(r"/auth/login$")) as response:
            page.get_by_role("button", name="Sign in").click()
    assert response.value.status == 429
    expect(page.get_by_role("heading", level=1)).to_have_text("Please wait a moment")
    assert_accessible(page)


@pytest.fixture
def failing_route(app):
    """A public test-only page that raises, so the real 500 page renders."""
    def boom():
        raise RuntimeError("test-only failure")
    boom.public = True
    app.add_url_rule("/test-only/boom", "test_only_boom", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return "/test-only/boom"


def test_500_page_is_accessible(failing_route, page, live_server):
    response = page.goto(failing_route)
    assert response.status == 500
    expect(page.get_by_role("heading", level=1)).to_have_text("Something went wrong on our side")
    assert_accessible(page)
