"""session notes, addenda and the integration journal

Revision ID: 0006_notes
Revises: 0005_break_glass
Create Date: 2026-11-26

Written by hand: a note per appointment (content encrypted, TEXT holding the ciphertext), dated
addenda to signed notes, and the client's journal entries (text encrypted).

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0006_notes'
down_revision = '0005_break_glass'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'session_notes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('appointment_id', sa.Integer(), nullable=False),
        sa.Column('therapist_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'],
                                name=op.f('fk_session_notes_appointment_id_appointments'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['therapist_id'], ['users.id'],
                                name=op.f('fk_session_notes_therapist_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_session_notes')),
        sa.UniqueConstraint('appointment_id', name=op.f('uq_session_notes_appointment_id')),
    )
    op.create_table(
        'note_addenda',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('note_id', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'],
                                name=op.f('fk_note_addenda_author_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['note_id'], ['session_notes.id'],
                                name=op.f('fk_note_addenda_note_id_session_notes'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_note_addenda')),
    )
    with op.batch_alter_table('note_addenda', schema=None) as batch_op:
        batch_op.create_index('ix_note_addenda_note', ['note_id', 'created_at'], unique=False)

    op.create_table(
        'journal_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('written_on', sa.Date(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('mood', sa.Integer(), nullable=True),
        sa.Column('shared', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('mood IS NULL OR mood BETWEEN 1 AND 10',
                           name=op.f('ck_journal_entries_mood')),
        sa.ForeignKeyConstraint(['client_id'], ['users.id'],
                                name=op.f('fk_journal_entries_client_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_journal_entries')),
    )
    with op.batch_alter_table('journal_entries', schema=None) as batch_op:
        batch_op.create_index('ix_journal_entries_client_written', ['client_id', 'written_on'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('journal_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_journal_entries_client_written')
    op.drop_table('journal_entries')
    with op.batch_alter_table('note_addenda', schema=None) as batch_op:
        batch_op.drop_index('ix_note_addenda_note')
    op.drop_table('note_addenda')
    op.drop_table('session_notes')
