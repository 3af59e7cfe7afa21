"""The stack starts from deploy/ and answers through nginx from a client namespace."""
import pytest
import requests

from tests.stack.netns import run_in

pytestmark = pytest.mark.stack


def test_clients_reach_the_portal_through_nginx_over_tls_and_it_is_ready(stack):
    answer = run_in(stack.net.clients["c1"], requests.get, stack.base_url + "/readyz",
                    verify=str(stack.ca), timeout=5)
    assert answer.status_code == 200, answer.text
    assert answer.json()["checks"] == {"database": "ok", "migrations": "ok", "redis": "ok"}
