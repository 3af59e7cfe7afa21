"""second factor: its own failure count, the pending enrolment key, must-change-password mark

Revision ID: 0009_second_factor
Revises: 0008_calls_drop_first_connected
Create Date: 2026-12-02

Written by hand. Plain ADD COLUMN on `users` and `user_sessions` (no batch rebuild: on SQLite
the rebuild's DROP TABLE runs as a DELETE with the foreign keys on, and ON DELETE CASCADE would
empty recovery_codes and user_sessions; see 0008). The new NOT NULL columns carry server
defaults, so existing accounts start with no second-factor failures and are NOT marked as
having to change their password (only accounts created from now on by an admin or
`flask create-user` for clinicians are). `pending_totp_secret` holds ciphertext (TEXT).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009_second_factor'
down_revision = '0008_calls_drop_first_connected'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('users', sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                     server_default=sa.false()))
    op.add_column('users', sa.Column('mfa_failed_count', sa.Integer(), nullable=False,
                                     server_default='0'))
    op.add_column('user_sessions', sa.Column('pending_totp_secret', sa.Text(), nullable=True))


def downgrade():
    op.drop_column('user_sessions', 'pending_totp_secret')
    op.drop_column('users', 'mfa_failed_count')
    op.drop_column('users', 'must_change_password')
