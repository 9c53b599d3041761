"""Index for reports: letter events by status, letter and date

Revision ID: 0005
Revises: 0004
"""
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('letter_event', schema=None) as batch_op:
        batch_op.create_index('ix_letter_event_status_letter_on', ['status', 'letter_id', 'on'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('letter_event', schema=None) as batch_op:
        batch_op.drop_index('ix_letter_event_status_letter_on')
