"""break-glass grants

Revision ID: 0005_break_glass
Revises: 0004_calls
Create Date: 2026-11-26

Written by hand: an admin's time-limited access to one client's record; the reason is
encrypted (TEXT holding the ciphertext).

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0005_break_glass'
down_revision = '0004_calls'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'break_glass_grants',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('admin_id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['admin_id'], ['users.id'],
                                name=op.f('fk_break_glass_grants_admin_id_users'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['client_id'], ['users.id'],
                                name=op.f('fk_break_glass_grants_client_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_break_glass_grants')),
    )
    with op.batch_alter_table('break_glass_grants', schema=None) as batch_op:
        batch_op.create_index('ix_break_glass_admin_client', ['admin_id', 'client_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('break_glass_grants', schema=None) as batch_op:
        batch_op.drop_index('ix_break_glass_admin_client')
    op.drop_table('break_glass_grants')
