"""Report totals kept up to date: report_appeal, report_case, report_total, and report_dirty
filled by triggers with the cases whose sendings, bounces, answers or status change; responses
indexed by unsolicited

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# the letter events a report counts: sendings and bounces (drafted, answered, closed do not count)
COUNTED = "('sent', 'bounced')"

SQLITE_TRIGGERS = {
    "report_dirty_letter_event_insert": f"""
        AFTER INSERT ON letter_event WHEN NEW.status IN {COUNTED} BEGIN
        INSERT OR IGNORE INTO report_dirty (case_id) SELECT case_id FROM letter WHERE id = NEW.letter_id; END""",
    "report_dirty_letter_event_update": f"""
        AFTER UPDATE ON letter_event WHEN OLD.status IN {COUNTED} OR NEW.status IN {COUNTED} BEGIN
        INSERT OR IGNORE INTO report_dirty (case_id)
        SELECT case_id FROM letter WHERE id IN (OLD.letter_id, NEW.letter_id); END""",
    "report_dirty_letter_event_delete": f"""
        AFTER DELETE ON letter_event WHEN OLD.status IN {COUNTED} BEGIN
        INSERT OR IGNORE INTO report_dirty (case_id) SELECT case_id FROM letter WHERE id = OLD.letter_id; END""",
    "report_dirty_letter_update": """
        AFTER UPDATE OF case_id, mission_id ON letter BEGIN
        INSERT OR IGNORE INTO report_dirty (case_id) VALUES (OLD.case_id), (NEW.case_id); END""",
    "report_dirty_letter_delete": """
        AFTER DELETE ON letter BEGIN INSERT OR IGNORE INTO report_dirty (case_id) VALUES (OLD.case_id); END""",
    "report_dirty_response_insert": """
        AFTER INSERT ON response BEGIN INSERT OR IGNORE INTO report_dirty (case_id) VALUES (NEW.case_id); END""",
    "report_dirty_response_update": """
        AFTER UPDATE ON response BEGIN
        INSERT OR IGNORE INTO report_dirty (case_id) VALUES (OLD.case_id), (NEW.case_id); END""",
    "report_dirty_response_delete": """
        AFTER DELETE ON response BEGIN INSERT OR IGNORE INTO report_dirty (case_id) VALUES (OLD.case_id); END""",
    "report_dirty_case_update": """
        AFTER UPDATE OF id, status ON "case" WHEN OLD.status IS NOT NEW.status OR OLD.id IS NOT NEW.id BEGIN
        INSERT OR IGNORE INTO report_dirty (case_id) VALUES (OLD.id), (NEW.id); END""",
    "report_dirty_case_delete": """
        AFTER DELETE ON "case" BEGIN INSERT OR IGNORE INTO report_dirty (case_id) VALUES (OLD.id); END""",
    "report_dirty_mission_update": """
        AFTER UPDATE OF id, sending ON mission WHEN OLD.sending IS NOT NEW.sending OR OLD.id IS NOT NEW.id BEGIN
        INSERT OR IGNORE INTO report_dirty (case_id)
        SELECT DISTINCT case_id FROM letter WHERE mission_id IN (OLD.id, NEW.id); END""",
}

# PostgreSQL: one trigger function per table
PG_NOTE = "INSERT INTO report_dirty (case_id) {} ON CONFLICT DO NOTHING;"
PG_FUNCTIONS = {
    "letter_event": f"""
        IF TG_OP <> 'INSERT' THEN IF OLD.status IN {COUNTED} THEN
            {PG_NOTE.format("SELECT case_id FROM letter WHERE id = OLD.letter_id")} END IF; END IF;
        IF TG_OP <> 'DELETE' THEN IF NEW.status IN {COUNTED} THEN
            {PG_NOTE.format("SELECT case_id FROM letter WHERE id = NEW.letter_id")} END IF; END IF;""",
    "letter": f"""
        {PG_NOTE.format("VALUES (OLD.case_id)")}
        IF TG_OP = 'UPDATE' THEN {PG_NOTE.format("VALUES (NEW.case_id)")} END IF;""",
    "response": f"""
        IF TG_OP <> 'INSERT' THEN {PG_NOTE.format("VALUES (OLD.case_id)")} END IF;
        IF TG_OP <> 'DELETE' THEN {PG_NOTE.format("VALUES (NEW.case_id)")} END IF;""",
    "case": f"""
        IF TG_OP = 'DELETE' THEN {PG_NOTE.format("VALUES (OLD.id)")}
        ELSIF OLD.status IS DISTINCT FROM NEW.status OR OLD.id IS DISTINCT FROM NEW.id THEN
            {PG_NOTE.format("VALUES (OLD.id), (NEW.id)")} END IF;""",
    "mission": f"""
        IF OLD.sending IS DISTINCT FROM NEW.sending OR OLD.id IS DISTINCT FROM NEW.id THEN
            {PG_NOTE.format("SELECT DISTINCT case_id FROM letter WHERE mission_id IN (OLD.id, NEW.id)")}
        END IF;""",
}
PG_EVENTS = {
    "letter_event": "INSERT OR UPDATE OR DELETE",
    "letter": "UPDATE OF case_id, mission_id OR DELETE",
    "response": "INSERT OR UPDATE OR DELETE",
    "case": "UPDATE OF id, status OR DELETE",
    "mission": "UPDATE OF id, sending",
}


def upgrade() -> None:
    op.create_table('report_appeal',
    sa.Column('case_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('state', sa.String(length=2), nullable=False),
    sa.Column('first_sent', sa.Date(), nullable=False),
    sa.Column('letters', sa.Integer(), nullable=False),
    sa.Column('bounced', sa.Boolean(), nullable=False),
    sa.Column('answered_on', sa.Date(), nullable=True),
    sa.Column('days', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('case_id', 'state')
    )
    with op.batch_alter_table('report_appeal', schema=None) as batch_op:
        batch_op.create_index('ix_report_appeal_state_first_sent', ['state', 'first_sent'], unique=False)

    op.create_table('report_case',
    sa.Column('case_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('appeals', sa.Integer(), nullable=False),
    sa.Column('letters', sa.Integer(), nullable=False),
    sa.Column('answered', sa.Integer(), nullable=False),
    sa.Column('positive', sa.Integer(), nullable=False),
    sa.Column('median_days', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('case_id')
    )
    op.create_table('report_dirty',
    sa.Column('case_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.PrimaryKeyConstraint('case_id')
    )
    op.create_table('report_total',
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('dim', sa.String(length=16), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('sub', sa.String(length=32), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'dim', 'key', 'sub')
    )
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_response_unsolicited'), ['unsolicited'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for table, body in PG_FUNCTIONS.items():
            op.execute(f"CREATE FUNCTION report_dirty_{table}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                       f"BEGIN {body} RETURN NULL; END $$")
            op.execute(f'CREATE TRIGGER report_dirty AFTER {PG_EVENTS[table]} ON "{table}" '
                       f"FOR EACH ROW EXECUTE FUNCTION report_dirty_{table}()")
    else:
        for name, body in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
    # every case is counted once by plea.db.migrate when the upgrade reaches the head
    op.execute('INSERT INTO report_dirty (case_id) SELECT id FROM "case"')


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in PG_FUNCTIONS:
            op.execute(f'DROP TRIGGER report_dirty ON "{table}"')
            op.execute(f"DROP FUNCTION report_dirty_{table}()")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_response_unsolicited'))

    op.drop_table('report_total')
    op.drop_table('report_dirty')
    op.drop_table('report_case')
    with op.batch_alter_table('report_appeal', schema=None) as batch_op:
        batch_op.drop_index('ix_report_appeal_state_first_sent')

    op.drop_table('report_appeal')
