"""Web forms of missions, routes (which authority decides), referrals in responses

Revision ID: 0013
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0013'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('mission', schema=None) as batch_op:
        batch_op.add_column(sa.Column('web_form', sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                      server_default=''))
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('referred_to', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    op.create_table(
        'route',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column('protection', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('authority', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('url', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('documents', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('deadline', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('source_url', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('checked_on', sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('state', 'protection'),
    )
    with op.batch_alter_table('route', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_route_state'), ['state'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('route', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_route_state'))
    op.drop_table('route')
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_column('referred_to')
    with op.batch_alter_table('mission', schema=None) as batch_op:
        batch_op.drop_column('web_form')
