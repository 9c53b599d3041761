"""Report totals counted again: the months table counts each answer in the month of the first
letter it answers (it counted it in the month the answer came, so a month could show answers
to appeals sent in another). The kept figures are emptied and every case is noted in
report_dirty; plea.db.migrate recounts them (plea.report.summary.refresh) in the same
transaction, under the new rule.

Revision ID: 0010
Revises: 0006
"""
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def _recount_everything() -> None:
    op.execute("DELETE FROM report_total")
    op.execute("DELETE FROM report_case")
    op.execute("DELETE FROM report_appeal")
    op.execute("DELETE FROM report_dirty")
    op.execute('INSERT INTO report_dirty (case_id) SELECT id FROM "case"')


def upgrade() -> None:
    _recount_everything()


def downgrade() -> None:
    _recount_everything()  # an older plea recounts under its own rule
