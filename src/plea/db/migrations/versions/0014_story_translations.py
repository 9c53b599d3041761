"""The persecution story in several languages: the original's language and people's translations

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('persecution_lang', sa.String(length=16), nullable=False,
                                      server_default='en'))
        batch_op.add_column(sa.Column('stories', sa.JSON(), nullable=False, server_default='{}'))


def downgrade() -> None:
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_column('stories')
        batch_op.drop_column('persecution_lang')
