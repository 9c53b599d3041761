"""Mission.name: an authority's or mission's own name (Ministère de l'Intérieur, Home Office), which its letters address it by

Revision ID: 0017
Revises: 0016
"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('mission', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name', sa.String(), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('mission', schema=None) as batch_op:
        batch_op.drop_column('name')
