"""campaign log

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('response',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=2), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('summary', sa.String(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('attachments', sa.JSON(), nullable=False),
    sa.Column('unsolicited', sa.Boolean(), nullable=False),
    sa.Column('recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('actor', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_response_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_response_state'), ['state'], unique=False)

    op.create_table('letter_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('letter_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('via', sa.String(length=16), nullable=False),
    sa.Column('proof_path', sa.String(), nullable=False),
    sa.Column('proof_sha256', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('actor', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(['letter_id'], ['letter.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('letter_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_letter_event_letter_id'), ['letter_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('letter_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_letter_event_letter_id'))

    op.drop_table('letter_event')
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_response_state'))
        batch_op.drop_index(batch_op.f('ix_response_case_id'))

    op.drop_table('response')
