"""Threat states on cases (filled with the nationality) and the user's own cautions

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('threat_states', sa.String(), nullable=False, server_default=''))
    # an existing case is protected from its own state, as a new one is by default
    op.execute(sa.text('UPDATE "case" SET threat_states = nationality'))
    op.create_table('caution',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('threat_state', sa.String(length=2), nullable=False),
    sa.Column('state', sa.String(length=2), nullable=False),
    sa.Column('action', sa.String(length=8), nullable=False),
    sa.Column('reason', sa.String(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('source_url', sa.String(), nullable=False),
    sa.Column('source_title', sa.String(), nullable=False),
    sa.Column('retrieved', sa.String(length=10), nullable=False),
    sa.Column('added_by', sa.String(), nullable=False),
    sa.Column('added_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('threat_state', 'state')
    )


def downgrade() -> None:
    op.drop_table('caution')
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_column('threat_states')
