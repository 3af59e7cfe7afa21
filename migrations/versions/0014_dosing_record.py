"""the dosing-day record and its addenda

Revision ID: 0014_dosing_record
Revises: 0009_second_factor
Create Date: 2026-12-10

Written by hand: one record per dosing appointment (vitals, dose, observations, the override of
the blood-pressure gate and the discharge checklist as encrypted JSON; the monitor's name
encrypted; all TEXT holding ciphertext), and dated addenda to signed records (text encrypted).
New tables only: nothing existing is rebuilt.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014_dosing_record'
down_revision = '0009_second_factor'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'dosing_records',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('appointment_id', sa.Integer(), nullable=False),
        sa.Column('therapist_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('vitals', sa.Text(), nullable=False),
        sa.Column('dose', sa.Text(), nullable=True),
        sa.Column('observations', sa.Text(), nullable=True),
        sa.Column('monitor_name', sa.Text(), nullable=True),
        sa.Column('override', sa.Text(), nullable=True),
        sa.Column('override_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('override_by_id', sa.Integer(), nullable=True),
        sa.Column('discharge', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('signed_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'],
                                name=op.f('fk_dosing_records_appointment_id_appointments'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['therapist_id'], ['users.id'],
                                name=op.f('fk_dosing_records_therapist_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['override_by_id'], ['users.id'],
                                name=op.f('fk_dosing_records_override_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['signed_by_id'], ['users.id'],
                                name=op.f('fk_dosing_records_signed_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_dosing_records')),
        sa.UniqueConstraint('appointment_id', name=op.f('uq_dosing_records_appointment_id')),
    )
    op.create_table(
        'dosing_addenda',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'],
                                name=op.f('fk_dosing_addenda_author_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['record_id'], ['dosing_records.id'],
                                name=op.f('fk_dosing_addenda_record_id_dosing_records'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_dosing_addenda')),
    )
    with op.batch_alter_table('dosing_addenda', schema=None) as batch_op:
        batch_op.create_index('ix_dosing_addenda_record', ['record_id', 'created_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('dosing_addenda', schema=None) as batch_op:
        batch_op.drop_index('ix_dosing_addenda_record')
    op.drop_table('dosing_addenda')
    op.drop_table('dosing_records')
