"""Where the database schema stands against the migrations this code ships (readyz, restore)."""
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import text

from portal.extensions import db


def head_revision():
    """The newest migration this code knows."""
    config = AlembicConfig()
    config.set_main_option("script_location", current_app.extensions["migrate"].directory)
    return ScriptDirectory.from_config(config).get_current_head()


def current_revision():
    """The migration the database is at (raises when the database cannot be read)."""
    return db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
