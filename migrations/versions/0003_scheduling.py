"""scheduling

Revision ID: 0003_scheduling
Revises: 0002_intake
Create Date: 2026-11-26

Reviewed by hand. No double booking is enforced by the database: a partial unique index on
(therapist, start) for live appointments on both databases, and on PostgreSQL an exclusion
constraint so that the blocks (session plus buffers) of live appointments never overlap.
SQLite has no exclusion constraints: there the booking re-checks overlap inside a transaction
that holds the write lock (BEGIN IMMEDIATE, see portal/db_setup.py).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_scheduling'
down_revision = '0002_intake'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('availability_overrides',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('therapist_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('available', sa.Boolean(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=True),
    sa.Column('end_time', sa.Time(), nullable=True),
    sa.Column('note', sa.String(length=120), nullable=True),
    sa.ForeignKeyConstraint(['therapist_id'], ['users.id'], name=op.f('fk_availability_overrides_therapist_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_availability_overrides'))
    )
    with op.batch_alter_table('availability_overrides', schema=None) as batch_op:
        batch_op.create_index('ix_availability_overrides_therapist_day', ['therapist_id', 'day'], unique=False)

    op.create_table('availability_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('therapist_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=False),
    sa.Column('end_time', sa.Time(), nullable=False),
    sa.CheckConstraint('start_time < end_time', name=op.f('ck_availability_rules_range')),
    sa.CheckConstraint('weekday BETWEEN 0 AND 6', name=op.f('ck_availability_rules_weekday')),
    sa.ForeignKeyConstraint(['therapist_id'], ['users.id'], name=op.f('fk_availability_rules_therapist_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_availability_rules'))
    )
    with op.batch_alter_table('availability_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_availability_rules_therapist_id'), ['therapist_id'], unique=False)

    op.create_table('session_types',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('therapist_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('duration_min', sa.Integer(), nullable=False),
    sa.Column('buffer_before_min', sa.Integer(), nullable=False),
    sa.Column('buffer_after_min', sa.Integer(), nullable=False),
    sa.Column('min_notice_min', sa.Integer(), nullable=False),
    sa.Column('horizon_days', sa.Integer(), nullable=False),
    sa.Column('slot_step_min', sa.Integer(), nullable=False),
    sa.Column('modality', sa.String(length=16), nullable=False),
    sa.Column('location', sa.Text(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['therapist_id'], ['users.id'], name=op.f('fk_session_types_therapist_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_types')),
    sa.UniqueConstraint('therapist_id', 'kind', name=op.f('uq_session_types_therapist_id'))
    )
    op.create_table('appointments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('therapist_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('session_type_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('modality', sa.String(length=16), nullable=False),
    sa.Column('location', sa.Text(), nullable=True),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('block_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('block_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by_id', sa.Integer(), nullable=True),
    sa.Column('cancel_message', sa.Text(), nullable=True),
    sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('block_start < block_end', name=op.f('ck_appointments_block')),
    sa.ForeignKeyConstraint(['cancelled_by_id'], ['users.id'], name=op.f('fk_appointments_cancelled_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['client_id'], ['users.id'], name=op.f('fk_appointments_client_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_type_id'], ['session_types.id'], name=op.f('fk_appointments_session_type_id_session_types'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['therapist_id'], ['users.id'], name=op.f('fk_appointments_therapist_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointments')),
    sa.UniqueConstraint('client_id', 'idempotency_key', name=op.f('uq_appointments_client_id'))
    )
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.create_index('ix_appointments_client_starts', ['client_id', 'starts_at'], unique=False)
        batch_op.create_index('ix_appointments_therapist_starts', ['therapist_id', 'starts_at'], unique=False)
        batch_op.create_index('uq_appointments_therapist_start_live', ['therapist_id', 'starts_at'], unique=True, postgresql_where=sa.text("status <> 'cancelled'"), sqlite_where=sa.text("status <> 'cancelled'"))

    op.create_table('dosing_readiness',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('answers', sa.Text(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_dosing_readiness_appointment_id_appointments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dosing_readiness')),
    sa.UniqueConstraint('appointment_id', name=op.f('uq_dosing_readiness_appointment_id'))
    )
    op.create_table('reminder_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_reminder_log_appointment_id_appointments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recipient_id'], ['users.id'], name=op.f('fk_reminder_log_recipient_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_log')),
    sa.UniqueConstraint('appointment_id', 'kind', 'recipient_id', name=op.f('uq_reminder_log_appointment_id'))
    )
    # No batch (table rebuild) on `users`: on SQLite the rebuild's DROP TABLE would fire
    # ON DELETE SET NULL on audit_events.actor_id, which the append-only trigger refuses. A
    # plain ADD COLUMN plus a unique index (not a table constraint) needs no rebuild.
    op.add_column('users', sa.Column('calendar_token_hash', sa.String(length=64), nullable=True))
    op.create_index('uq_users_calendar_token_hash', 'users', ['calendar_token_hash'], unique=True)

    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE appointments ADD CONSTRAINT ex_appointments_no_overlap "
            "EXCLUDE USING gist (therapist_id WITH =, tstzrange(block_start, block_end) WITH &&) "
            "WHERE (status <> 'cancelled')")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE appointments DROP CONSTRAINT IF EXISTS ex_appointments_no_overlap")
    op.drop_index('uq_users_calendar_token_hash', table_name='users')
    op.drop_column('users', 'calendar_token_hash')  # SQLite >= 3.35 drops a column in place

    op.drop_table('reminder_log')
    op.drop_table('dosing_readiness')
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_index('uq_appointments_therapist_start_live', postgresql_where=sa.text("status <> 'cancelled'"), sqlite_where=sa.text("status <> 'cancelled'"))
        batch_op.drop_index('ix_appointments_therapist_starts')
        batch_op.drop_index('ix_appointments_client_starts')

    op.drop_table('appointments')
    op.drop_table('session_types')
    with op.batch_alter_table('availability_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_availability_rules_therapist_id'))

    op.drop_table('availability_rules')
    with op.batch_alter_table('availability_overrides', schema=None) as batch_op:
        batch_op.drop_index('ix_availability_overrides_therapist_day')

    op.drop_table('availability_overrides')
