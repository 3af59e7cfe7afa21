"""Access control declared on views and enforced in one place (deny by default, ASVS V8).

Every endpoint needs a logged-in user unless its view is marked `@public`; `@role_required`
names the roles allowed. `enforce_access` runs before every request, so a new route cannot
forget the check. Ownership of objects is enforced by `get_or_404_for`.
"""
from flask import abort, current_app, flash, g, jsonify, redirect, request, url_for
from flask_login import current_user

from portal.core.errors import wants_json
from portal.extensions import db, login_manager
from portal.security import sessions
from portal.security.redirects import safe_next


def public(view):
    """Mark a view as reachable without logging in."""
    view.public = True
    return view


def role_required(*roles):
    """Allow only users whose role is one of `roles` (checked by enforce_access)."""
    def decorate(view):
        view.roles = frozenset(r.value if hasattr(r, "value") else r for r in roles)
        return view
    return decorate


def enforce_access():
    """before_request: refuse anonymous users on non-public views and users of other roles."""
    if request.endpoint is None or request.endpoint == "static":
        return None
    view = current_app.view_functions.get(request.endpoint)
    if view is None or getattr(view, "public", False):
        return None
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    roles = getattr(view, "roles", None)
    if roles and current_user.role not in roles:
        abort(403)
    return None


def get_or_404_for(user, model, object_id):
    """Load `model` by id only if `user` may see it (model.visible_to); 404 otherwise.

    404 rather than 403 so that ids of other people's records cannot be probed.
    """
    obj = db.session.get(model, object_id)
    if obj is None or not obj.visible_to(user):
        abort(404)
    return obj


@login_manager.unauthorized_handler
def unauthorized():
    """Anonymous request to a protected page: JSON 401 for scripts, else the sign-in page.

    A clinician past both factors who must still replace an admin-set password, or add the
    passkey the practice requires, reaches only the page that does it (public views, such as
    sign-out and the crisis page, stay open).
    """
    if sessions.password_change_session() is not None:
        if wants_json():
            return jsonify(error={"status": 403, "title": "Choose a new password",
                                  "message": "Please choose your own password first."}), 403
        return redirect(url_for("accounts.choose_password"))
    if sessions.passkey_setup_session() is not None:
        if wants_json():
            return jsonify(error={"status": 403, "title": "Add a passkey",
                                  "message": "Please add a passkey to your account first."}), 403
        return redirect(url_for("accounts.passkey_setup"))
    if wants_json():
        return jsonify(error={"status": 401, "title": "Please sign in",
                              "message": "Your session has ended. Please sign in again."}), 401
    if g.get("session_ended") == "idle_timeout":
        flash("You were signed out after 30 minutes without activity. Anything you saved is "
              "kept; please sign in to continue.", "info")
    elif g.get("session_ended") == "absolute_timeout":
        flash("For your safety, sign-ins last at most 12 hours. Please sign in again.", "info")
    else:
        flash("Please sign in to continue.", "info")
    target = request.full_path if request.method == "GET" else None
    nxt = safe_next(target.rstrip("?") if target else None, "")
    return redirect(url_for("accounts.login", next=nxt) if nxt else url_for("accounts.login"))
