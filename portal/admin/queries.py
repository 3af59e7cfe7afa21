"""What the admin pages show: every account, the clients to choose from, one's own grants."""
from flask import abort
from sqlalchemy import select

from portal.core.vocabulary import Role
from portal.extensions import db
from portal.models.breakglass import BreakGlassGrant
from portal.models.user import User


def all_users():
    """Every account, by role then name."""
    return db.session.scalars(select(User).order_by(User.role, User.name)).all()


def user_or_404(user_id):
    return db.session.get(User, user_id) or abort(404)


def clients():
    """Every client, by name (the break-glass form's choices)."""
    return db.session.scalars(select(User).where(User.role == Role.CLIENT.value)
                              .order_by(User.name, User.id)).all()


def own_grant_or_404(admin, grant_id):
    """One of the admin's own break-glass grants; 404 for anyone else's."""
    grant = db.session.get(BreakGlassGrant, grant_id)
    if grant is None or grant.admin_id != admin.id:
        abort(404)
    return grant


def active_grants(admin):
    return BreakGlassGrant.active_for(admin.id)
