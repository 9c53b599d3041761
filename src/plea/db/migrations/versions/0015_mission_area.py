"""Mission.area: the region (US state, JP prefecture…) a host country's postal format asks for

Revision ID: 0015
Revises: 0014
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('mission', schema=None) as batch_op:
        batch_op.add_column(sa.Column('area', sa.String(), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('mission', schema=None) as batch_op:
        batch_op.drop_column('area')
