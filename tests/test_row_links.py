"""RowLinks: the dashboard's per-row links are exactly what url_for builds, for every kind of
link it makes, built once per kind."""
import pytest
from flask import url_for

from portal.workspace.row_links import RowLinks

DASHBOARD_LINKS = [
    ("workspace.intake_review", "client_id", "flags"),
    ("workspace.intake_review", "client_id", None),
    ("workspace.acknowledge_flag", "flag_id", None),
    ("workspace.client_page", "client_id", None),
    ("video.room", "appointment_id", None),
    ("workspace.note", "appointment_id", None),
    ("dosing.record", "appointment_id", None),
    ("workspace.dashboard_page", "quiet", "quiet"),  # an id in the query string
]


@pytest.mark.parametrize(("endpoint", "name", "anchor"), DASHBOARD_LINKS)
def test_row_links_are_the_urls_url_for_builds(app, endpoint, name, anchor):
    with app.test_request_context("/therapist/dashboard"):
        row_link = RowLinks()
        for row_id in (1, 7, 42, 987_654_321, 10**15):
            assert row_link(endpoint, _anchor=anchor, **{name: row_id}) == \
                url_for(endpoint, _anchor=anchor, **{name: row_id})


def test_each_kind_of_link_is_built_once(app, monkeypatch):
    built = []
    with app.test_request_context("/therapist/dashboard"):
        real = url_for

        def counting(endpoint, **values):
            built.append(endpoint)
            return real(endpoint, **values)
        monkeypatch.setattr("portal.workspace.row_links.url_for", counting)
        row_link = RowLinks()
        links = [row_link("workspace.client_page", client_id=n) for n in range(1, 51)]
    assert built == ["workspace.client_page"]
    assert links[0] == "/therapist/clients/1" and links[-1] == "/therapist/clients/50"

