"""measure schedules and their reminders

Revision ID: 0016_measures
Revises: 0009_second_factor
Create Date: 2026-12-02

Written by hand: one schedule per client (the instruments encrypted, TEXT holding ciphertext;
how often in plain integers and booleans) and one row per reminder sent (the unique constraint
makes sending idempotent). New tables only: nothing existing is rebuilt. The PCL-5 and C-SSRS
results go in measure_results as they are (instrument "pcl5" / "cssrs" fit String(8)).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016_measures'
down_revision = '0015_decisions'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'measure_schedules',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('instruments', sa.Text(), nullable=False),
        sa.Column('every_days', sa.Integer(), nullable=True),
        sa.Column('before_sessions', sa.Boolean(), nullable=False),
        sa.Column('after_dosing', sa.Boolean(), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['client_id'], ['users.id'],
                                name=op.f('fk_measure_schedules_client_id_users'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'],
                                name=op.f('fk_measure_schedules_updated_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_measure_schedules')),
        sa.UniqueConstraint('client_id', name=op.f('uq_measure_schedules_client_id')),
    )
    op.create_table(
        'measure_reminders',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('occasion', sa.String(length=40), nullable=False),
        sa.Column('day', sa.Integer(), nullable=False),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['client_id'], ['users.id'],
                                name=op.f('fk_measure_reminders_client_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_measure_reminders')),
        sa.UniqueConstraint('client_id', 'occasion', 'day',
                            name=op.f('uq_measure_reminders_client_id')),
    )


def downgrade():
    op.drop_table('measure_reminders')
    op.drop_table('measure_schedules')
