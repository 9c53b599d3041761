"""The applicant's own postal address, email and phone (the sender block of a self-applicant's letters)

Revision ID: 0016
Revises: 0015
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

COLUMNS = ('applicant_address', 'applicant_email', 'applicant_phone')


def upgrade() -> None:
    with op.batch_alter_table('case', schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.String(), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('case', schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
