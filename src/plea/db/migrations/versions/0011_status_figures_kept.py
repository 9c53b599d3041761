"""`plea status` figures kept with the report's: per appeal its last sending, whether the state
replied (on any date; positively), whether its letters are all closed or came back; per case
those counted, the first and last sending among the appeals still waiting, and the appeals to
UN member states. A trigger notes
the case when a letter's status changes (closed, bounced). Every case is recounted once.

Revision ID: 0011
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

APPEAL = [("last_sent", sa.Date()), ("replied", sa.Boolean()), ("replied_positive", sa.Boolean()),
          ("closed", sa.Boolean()), ("returned", sa.Boolean())]
CASE = [("replied", sa.Integer()), ("replied_positive", sa.Integer()), ("silent", sa.Integer()),
        ("returned", sa.Integer()), ("waiting", sa.Integer()), ("waiting_first", sa.Date()),
        ("waiting_last", sa.Date()), ("un_members", sa.Integer())]

SQLITE_TRIGGER = """CREATE TRIGGER report_dirty_letter_status
    AFTER UPDATE OF status ON letter WHEN OLD.status IS NOT NEW.status BEGIN
    INSERT OR IGNORE INTO report_dirty (case_id) VALUES (NEW.case_id); END"""
# the letter's trigger function of 0006 notes OLD.case_id (and NEW.case_id on an update)
PG_TRIGGER = """CREATE TRIGGER report_dirty_status AFTER UPDATE OF status ON letter FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION report_dirty_letter()"""


def upgrade() -> None:
    with op.batch_alter_table('report_appeal', schema=None) as batch_op:
        for name, type_ in APPEAL:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
    with op.batch_alter_table('report_case', schema=None) as batch_op:
        for name, type_ in CASE:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
    op.execute(PG_TRIGGER if op.get_bind().dialect.name == "postgresql" else SQLITE_TRIGGER)
    # every case is counted afresh by plea.db.migrate when the upgrade reaches the head: from
    # empty tables, which is quicker than replacing each appeal's row and moving its totals
    for table in ("report_total", "report_case", "report_appeal", "report_dirty"):
        op.execute(f"DELETE FROM {table}")
    op.execute('INSERT INTO report_dirty (case_id) SELECT id FROM "case"')


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute('DROP TRIGGER report_dirty_status ON letter')
    else:
        op.execute("DROP TRIGGER report_dirty_letter_status")
    with op.batch_alter_table('report_case', schema=None) as batch_op:
        for name, _type in reversed(CASE):
            batch_op.drop_column(name)
    with op.batch_alter_table('report_appeal', schema=None) as batch_op:
        for name, _type in reversed(APPEAL):
            batch_op.drop_column(name)
