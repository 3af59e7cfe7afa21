"""decisions the client hears about, open flags named at an "eligible" decision, the answer
behind a flag, and gates the therapist overrode with a reason

Revision ID: 0015_decisions
Revises: 0009_second_factor
Create Date: 2026-12-02

Written by hand. Plain ADD COLUMN of nullable TEXT columns (no batch rebuild: on SQLite the
rebuild's DROP TABLE runs as a DELETE with the foreign keys on, see 0008 and 0009). Every new
text column holds ciphertext: the note for the client, the flags named at a decision and its
reason, the answer that raised a flag, and an overridden booking refusal with its reason.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015_decisions'
down_revision = '0017_messages'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('review_decisions', sa.Column('client_note', sa.Text(), nullable=True))
    op.add_column('review_decisions', sa.Column('flags_confirmed', sa.Text(), nullable=True))
    op.add_column('review_decisions', sa.Column('confirm_reason', sa.Text(), nullable=True))
    op.add_column('safety_flags', sa.Column('answer', sa.Text(), nullable=True))
    op.create_table(
        'booking_overrides',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('appointment_id', sa.Integer(), nullable=False),
        sa.Column('by_id', sa.Integer(), nullable=True),
        sa.Column('refusal', sa.Text(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'],
                                name=op.f('fk_booking_overrides_appointment_id_appointments'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['by_id'], ['users.id'],
                                name=op.f('fk_booking_overrides_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_overrides')),
        sa.UniqueConstraint('appointment_id',
                            name=op.f('uq_booking_overrides_appointment_id')),
    )


def downgrade():
    op.drop_table('booking_overrides')
    op.drop_column('safety_flags', 'answer')
    op.drop_column('review_decisions', 'confirm_reason')
    op.drop_column('review_decisions', 'flags_confirmed')
    op.drop_column('review_decisions', 'client_note')
