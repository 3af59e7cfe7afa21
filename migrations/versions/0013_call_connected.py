"""calls: first_connected_at (the call timer and "started" for completion) and client_country

Revision ID: 0013_call_connected
Revises: 0009_second_factor
Create Date: 2026-12-09

Written by hand. 0008 dropped an unused `first_connected_at` that nothing ever wrote; it comes
back here, now written once when the two browsers first connect (portal/video/events_call.py).
`client_country` holds ciphertext (TEXT, like client_location): the emergency numbers of the
therapist's safety panel follow it (portal/core/emergency.py). Plain ADD COLUMN, no batch
rebuild of `calls` (see 0008: on SQLite the rebuild's DROP TABLE would cascade into
call_events). Both columns are nullable: existing calls never connected as far as we know.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013_call_connected'
down_revision = '0009_second_factor'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('calls', sa.Column('first_connected_at', sa.DateTime(timezone=True),
                                     nullable=True))
    op.add_column('calls', sa.Column('client_country', sa.Text(), nullable=True))


def downgrade():
    op.drop_column('calls', 'client_country')
    op.drop_column('calls', 'first_connected_at')
