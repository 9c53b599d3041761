"""Tracking numbers of posted letters

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('letter_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tracking', sa.String(length=64), nullable=False, server_default=''))
        batch_op.create_index(batch_op.f('ix_letter_event_tracking'), ['tracking'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('letter_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_letter_event_tracking'))
        batch_op.drop_column('tracking')
