"""intake, consents, measures and safety flags

Revision ID: 0002_intake
Revises: 0001_accounts
Create Date: 2026-11-26

Reviewed by hand. Encrypted columns are plain TEXT here (AES-GCM is applied by the models).
The first version of each consent document is inserted as data (a later version is published
from the portal, which keeps every version so signatures stay tied to the text signed).
"""
from datetime import datetime, timezone
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_intake'
down_revision = '0001_accounts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('consent_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_consent_documents_published_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_documents')),
    sa.UniqueConstraint('kind', 'version', name=op.f('uq_consent_documents_kind'))
    )
    op.create_table('intakes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('current_step', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['users.id'], name=op.f('fk_intakes_client_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intakes')),
    sa.UniqueConstraint('client_id', name=op.f('uq_intakes_client_id'))
    )
    op.create_table('measure_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('instrument', sa.String(length=8), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('result', sa.Text(), nullable=False),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['users.id'], name=op.f('fk_measure_results_client_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measure_results'))
    )
    with op.batch_alter_table('measure_results', schema=None) as batch_op:
        batch_op.create_index('ix_measure_results_client_taken', ['client_id', 'taken_at'], unique=False)

    op.create_table('safety_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('severity', sa.String(length=24), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('acknowledgement_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['users.id'], name=op.f('fk_safety_flags_acknowledged_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['client_id'], ['users.id'], name=op.f('fk_safety_flags_client_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_safety_flags'))
    )
    with op.batch_alter_table('safety_flags', schema=None) as batch_op:
        batch_op.create_index('ix_safety_flags_client_open', ['client_id', 'acknowledged_at'], unique=False)

    op.create_table('amendment_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('intake_id', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['intake_id'], ['intakes.id'], name=op.f('fk_amendment_requests_intake_id_intakes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_amendment_requests'))
    )
    with op.batch_alter_table('amendment_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_amendment_requests_intake_id'), ['intake_id'], unique=False)

    op.create_table('consent_signatures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('signed_name', sa.Text(), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['users.id'], name=op.f('fk_consent_signatures_client_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['document_id'], ['consent_documents.id'], name=op.f('fk_consent_signatures_document_id_consent_documents'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_signatures')),
    sa.UniqueConstraint('client_id', 'document_id', name=op.f('uq_consent_signatures_client_id'))
    )
    with op.batch_alter_table('consent_signatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_signatures_client_id'), ['client_id'], unique=False)

    op.create_table('intake_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('intake_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=16), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('complete', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['intake_id'], ['intakes.id'], name=op.f('fk_intake_steps_intake_id_intakes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_steps')),
    sa.UniqueConstraint('intake_id', 'step', name=op.f('uq_intake_steps_intake_id'))
    )
    op.create_table('review_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('intake_id', sa.Integer(), nullable=False),
    sa.Column('therapist_id', sa.Integer(), nullable=True),
    sa.Column('decision', sa.String(length=24), nullable=False),
    sa.Column('clearance_needed', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('referral', sa.Text(), nullable=True),
    sa.Column('private_note', sa.Text(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['intake_id'], ['intakes.id'], name=op.f('fk_review_decisions_intake_id_intakes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['therapist_id'], ['users.id'], name=op.f('fk_review_decisions_therapist_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_decisions'))
    )
    with op.batch_alter_table('review_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_decisions_intake_id'), ['intake_id'], unique=False)

    _seed_consents()


def _seed_consents():
    table = sa.table("consent_documents", sa.column("kind", sa.String), sa.column("version", sa.Integer),
                     sa.column("title", sa.String), sa.column("body", sa.Text),
                     sa.column("published_at", sa.DateTime(timezone=True)))
    now = datetime.now(timezone.utc)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # the models store naive UTC on SQLite
    op.bulk_insert(table, [
        {"kind": kind, "version": 1, "title": title, "body": body.strip(), "published_at": now}
        for kind, title, body in CONSENTS_V1
    ])


CONSENTS_V1 = [
    ("telehealth", "Telehealth consent", """
Some of your sessions (consultation, preparation and integration) take place by video through this portal.

How it works: video and sound travel directly and encrypted between your device and your therapist's. Nothing is recorded: no video, sound or chat is stored by the portal, and chat messages disappear when the call ends. Please do not record sessions yourself without your therapist's agreement.

Your part: join from a private place where you cannot be overheard, and tell your therapist at the start of each session where you are and a phone number where you can be reached, so that help can be sent if there is an emergency.

Limits: video sessions can be interrupted by technical problems. If the connection drops, the portal tries to reconnect by itself; if it cannot, your therapist will call you. Telehealth may not be right for everyone; you can ask for in-person sessions instead.

Emergencies: the portal is not an emergency service. In a crisis call or text 988, text HOME to 741741, or call 911.

Ketamine is never taken during a video session: dosing sessions happen in person at the practice.

You may withdraw this consent at any time by telling your therapist.
"""),
    ("kap", "Informed consent for ketamine-assisted psychotherapy", """
What it is: ketamine-assisted psychotherapy (KAP) combines psychotherapy with ketamine given under medical supervision, in person at the practice. Using ketamine for depression, anxiety or trauma is an off-label use: it is approved as an anaesthetic, and its use in psychotherapy is supported by research but not approved by the FDA for these conditions.

Possible effects: during a session you may feel dissociation (feeling detached from your body or surroundings), changes in perception, dizziness, nausea or vomiting, blurred vision, and raised blood pressure and heart rate. These usually pass within one to two hours. Rarely, people feel anxious or confused. Frequent or high-dose use can harm the bladder, and ketamine can be misused.

Before a dosing session: do not eat for 4 hours before (clear fluids are fine up to 2 hours before), and do not drink alcohol or take benzodiazepines in the 24 hours before, unless your prescriber tells you otherwise. Tell us about every medication you take.

After a dosing session: you must not drive, operate machinery or make important decisions until the next day. An adult must take you home; we will not let you leave alone.

No guaranteed outcome: many people benefit, but KAP does not help everyone, and improvement may not last.

Alternatives: other treatments include psychotherapy alone, antidepressant and other medications, esketamine nasal spray, TMS and ECT. Your therapist can talk these through with you.

Your rights: taking part is voluntary. You may ask questions at any time, and you may withdraw from KAP at any time, including during a session, without affecting the rest of your care.
"""),
    ("privacy", "Notice of privacy practices", """
Your health information is private. The practice uses it to treat you, to run the practice and as the law requires, and shares it with others only with your written permission or where the law allows (for example, to prevent serious harm).

In the portal, your intake answers, notes, journal and questionnaire results are encrypted when stored. Every time someone at the practice views or changes your record, it is logged, and you can see who looked at your record. Emails from the portal never contain health information.

You have the right to see and get a copy of your record (the portal lets you download it), to ask for corrections, to ask for limits on how it is shared, and to complain to the practice or to the U.S. Department of Health and Human Services without any effect on your care.
"""),
]


def downgrade():
    with op.batch_alter_table('review_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_decisions_intake_id'))

    op.drop_table('review_decisions')
    op.drop_table('intake_steps')
    with op.batch_alter_table('consent_signatures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_signatures_client_id'))

    op.drop_table('consent_signatures')
    with op.batch_alter_table('amendment_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_amendment_requests_intake_id'))

    op.drop_table('amendment_requests')
    with op.batch_alter_table('safety_flags', schema=None) as batch_op:
        batch_op.drop_index('ix_safety_flags_client_open')

    op.drop_table('safety_flags')
    with op.batch_alter_table('measure_results', schema=None) as batch_op:
        batch_op.drop_index('ix_measure_results_client_taken')

    op.drop_table('measure_results')
    op.drop_table('intakes')
    op.drop_table('consent_documents')
