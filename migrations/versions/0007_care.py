"""care status, post-dosing check-ins, periodic check-in invitations, audit index by object

Revision ID: 0007_care
Revises: 0006_notes
Create Date: 2026-11-26

Written by hand. `users.care_status` is added with a plain ADD COLUMN (no batch rebuild of
`users`: on SQLite the rebuild's DROP TABLE would touch the append-only audit rows, see 0003).
Reasons and post-dosing answers are encrypted (TEXT holding the ciphertext).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007_care'
down_revision = '0006_notes'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('users', sa.Column('care_status', sa.String(length=16), nullable=False,
                                     server_default='active'))
    op.create_table(
        'care_status_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('changed_by_id', sa.Integer(), nullable=True),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'],
                                name=op.f('fk_care_status_changes_changed_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['client_id'], ['users.id'],
                                name=op.f('fk_care_status_changes_client_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_care_status_changes')),
    )
    op.create_index('ix_care_status_changes_client', 'care_status_changes',
                    ['client_id', 'changed_at'], unique=False)
    op.create_table(
        'post_dosing_checkins',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('appointment_id', sa.Integer(), nullable=False),
        sa.Column('answers', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'],
                                name=op.f('fk_post_dosing_checkins_appointment_id_appointments'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['client_id'], ['users.id'],
                                name=op.f('fk_post_dosing_checkins_client_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_post_dosing_checkins')),
        sa.UniqueConstraint('appointment_id', name=op.f('uq_post_dosing_checkins_appointment_id')),
    )
    op.create_index(op.f('ix_post_dosing_checkins_client_id'), 'post_dosing_checkins',
                    ['client_id'], unique=False)
    op.create_table(
        'checkin_invitations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('period', sa.String(length=32), nullable=False),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['client_id'], ['users.id'],
                                name=op.f('fk_checkin_invitations_client_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_checkin_invitations')),
        sa.UniqueConstraint('client_id', 'period', name=op.f('uq_checkin_invitations_client_id')),
    )
    # "Who accessed my record" (portal/client/access_log.py) reads events by object.
    op.create_index('ix_audit_events_object', 'audit_events', ['object_type', 'object_id'],
                    unique=False)


def downgrade():
    op.drop_index('ix_audit_events_object', table_name='audit_events')
    op.drop_table('checkin_invitations')
    op.drop_index(op.f('ix_post_dosing_checkins_client_id'), table_name='post_dosing_checkins')
    op.drop_table('post_dosing_checkins')
    op.drop_index('ix_care_status_changes_client', table_name='care_status_changes')
    op.drop_table('care_status_changes')
    op.drop_column('users', 'care_status')  # SQLite >= 3.35 drops a column in place
