"""calls: drop first_connected_at (never written)

Revision ID: 0008_calls_drop_first_connected
Revises: 0007_care
Create Date: 2026-11-27

Written by hand. A plain ALTER TABLE ... DROP COLUMN (SQLite 3.35 or newer, PostgreSQL), not a
batch rebuild of `calls`: on SQLite the rebuild's DROP TABLE runs as a DELETE with the foreign
keys on, and ON DELETE CASCADE would empty `call_events` (tests/test_ops_upgrades.py catches
it). The column is nullable, unindexed and in no constraint, which SQLite's DROP COLUMN needs.
The downgrade adds it back empty, as it always was.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008_calls_drop_first_connected'
down_revision = '0007_care'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_column('calls', 'first_connected_at')


def downgrade():
    op.add_column('calls', sa.Column('first_connected_at', sa.DateTime(timezone=True),
                                     nullable=True))
