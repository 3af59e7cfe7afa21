"""secure messages: threads, messages and the therapists' response hours

Revision ID: 0017_messages
Revises: 0012_passkeys
Create Date: 2026-12-12

Written by hand: message threads between a client and their therapist (subject encrypted),
their messages (body encrypted; TEXT holding ciphertext), and each therapist's response hours.
New tables only: nothing existing is rebuilt.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017_messages'
down_revision = '0013_call_connected'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'message_threads',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('therapist_id', sa.Integer(), nullable=True),
        sa.Column('subject', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_message_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('closed_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['client_id'], ['users.id'],
                                name=op.f('fk_message_threads_client_id_users'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['therapist_id'], ['users.id'],
                                name=op.f('fk_message_threads_therapist_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'],
                                name=op.f('fk_message_threads_closed_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_message_threads')),
    )
    with op.batch_alter_table('message_threads', schema=None) as batch_op:
        batch_op.create_index('ix_message_threads_client', ['client_id', 'closed_at'],
                              unique=False)
        batch_op.create_index('ix_message_threads_therapist',
                              ['therapist_id', 'last_message_at'], unique=False)
    op.create_table(
        'messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('thread_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'],
                                name=op.f('fk_messages_author_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['thread_id'], ['message_threads.id'],
                                name=op.f('fk_messages_thread_id_message_threads'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_messages')),
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_thread', ['thread_id', 'created_at'], unique=False)
    op.create_table(
        'response_hours',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('therapist_id', sa.Integer(), nullable=False),
        sa.Column('weekdays', sa.String(length=20), nullable=False),
        sa.Column('starts', sa.Time(), nullable=False),
        sa.Column('ends', sa.Time(), nullable=False),
        sa.ForeignKeyConstraint(['therapist_id'], ['users.id'],
                                name=op.f('fk_response_hours_therapist_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_response_hours')),
        sa.UniqueConstraint('therapist_id', name=op.f('uq_response_hours_therapist_id')),
    )


def downgrade():
    op.drop_table('response_hours')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_thread')
    op.drop_table('messages')
    with op.batch_alter_table('message_threads', schema=None) as batch_op:
        batch_op.drop_index('ix_message_threads_therapist')
        batch_op.drop_index('ix_message_threads_client')
    op.drop_table('message_threads')
