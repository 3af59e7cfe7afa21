"""The basic sign-in path, through the real forms."""
from tests.factories import DEFAULT_PASSWORD


def test_client_signs_in_and_sees_home(client, auth, factories):
    user = factories.make_client()
    response = auth.login(user.email, DEFAULT_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/home"
    assert f"Hello, {user.name}" in client.get("/home").get_data(as_text=True)


def test_therapist_needs_second_factor(client, auth, therapist):
    auth.login(therapist.email, DEFAULT_PASSWORD)
    assert client.get("/therapist/clients").status_code == 302
    response = auth.login(therapist.email, DEFAULT_PASSWORD, totp_secret=therapist.totp_secret)
    assert response.headers["Location"] == "/home"
    assert client.get("/therapist/clients").status_code == 200
