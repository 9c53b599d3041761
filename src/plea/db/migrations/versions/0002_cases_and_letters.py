"""Cases, letters and rendered files

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('name_latin', sa.String(), nullable=False),
    sa.Column('name_native', sa.String(), nullable=False),
    sa.Column('nationality', sa.String(length=2), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('title', sa.String(), nullable=False),
    sa.Column('gender', sa.String(), nullable=False),
    sa.Column('current_country', sa.String(length=2), nullable=False),
    sa.Column('situation', sa.String(), nullable=False),
    sa.Column('facility', sa.String(), nullable=False),
    sa.Column('authority_ids', sa.JSON(), nullable=False),
    sa.Column('protection', sa.String(), nullable=False),
    sa.Column('persecution', sa.String(), nullable=False),
    sa.Column('family', sa.JSON(), nullable=False),
    sa.Column('rep_name', sa.String(), nullable=False),
    sa.Column('rep_organisation', sa.String(), nullable=False),
    sa.Column('rep_address', sa.String(), nullable=False),
    sa.Column('rep_email', sa.String(), nullable=False),
    sa.Column('rep_phone', sa.String(), nullable=False),
    sa.Column('reply_to', sa.String(), nullable=False),
    sa.Column('followup_days', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('ref')
    )

    op.create_table('letter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('mission_id', sa.String(), nullable=False),
    sa.Column('letter', sa.String(length=64), nullable=False),
    sa.Column('lang', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], ),
    sa.ForeignKeyConstraint(['mission_id'], ['mission.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_id', 'mission_id', 'letter')
    )
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_letter_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_letter_mission_id'), ['mission_id'], unique=False)

    op.create_table('rendition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('letter_id', sa.Integer(), nullable=False),
    sa.Column('format', sa.String(length=8), nullable=False),
    sa.Column('lang', sa.String(length=16), nullable=False),
    sa.Column('path', sa.String(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('inputs_hash', sa.String(length=64), nullable=False),
    sa.Column('rendered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['letter_id'], ['letter.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('letter_id', 'format', 'inputs_hash')
    )
    with op.batch_alter_table('rendition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rendition_letter_id'), ['letter_id'], unique=False)


def downgrade() -> None:
    op.drop_table('rendition')
    op.drop_table('letter')
    op.drop_table('case')
