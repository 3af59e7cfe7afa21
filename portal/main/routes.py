"""The landing page, each person's home and the crisis page."""
from flask import redirect, render_template, request, session, url_for
from flask_login import current_user

from portal.care.queries_home import home_for
from portal.core.time import utcnow
from portal.main.blueprint import bp
from portal.security.access import public
from portal.security.redirects import safe_next


@bp.get("/")
@public
def index():
    """Anyone: a calm welcome with sign-in and registration; signed-in users go home."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    return render_template("main/index.html")


@bp.get("/home")
def home():
    """Signed-in users: the landing page of their role."""
    if current_user.is_clinician:
        return redirect(url_for("workspace.dashboard_page"))
    return render_template("main/home_client.html", therapist=current_user.therapist,
                           home=home_for(current_user, utcnow()))


@bp.get("/crisis")
@public
def crisis():
    """Anyone: crisis resources, always reachable, no sign-in needed."""
    return render_template("main/crisis.html", notified=session.pop("crisis_notice", False),
                           next_url=safe_next(request.args.get("next"), ""))
