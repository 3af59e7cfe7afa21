"""The one reach into Flask-Login's private state (security.sessions.forget_loaded_user): when a
session starts in the middle of a request, `current_user` must be the new user, not the
anonymous user Flask-Login cached earlier in that request. Fails if Flask-Login changes where it
caches the user."""
from flask_login import current_user

from portal.extensions import db
from portal.security import sessions


def test_current_user_follows_a_session_started_in_the_same_request(app, factories):
    user = factories.make_client()
    with app.test_request_context("/auth/login", method="POST"):
        assert not current_user.is_authenticated  # Flask-Login has now cached the anonymous user
        sessions.start_session(user, mfa_passed=True)
        assert current_user.is_authenticated
        assert current_user.id == user.id
        db.session.rollback()


def test_current_user_is_anonymous_again_after_the_session_ends(app, factories):
    user = factories.make_client()
    with app.test_request_context("/auth/logout", method="POST"):
        sessions.start_session(user, mfa_passed=True)
        assert current_user.id == user.id
        sessions.end_session("logout")
        assert not current_user.is_authenticated
        db.session.rollback()
