"""Alembic environment for plea: always run on a connection plea hands over."""

from alembic import context

from plea.db import models  # noqa: F401  (registers the tables)
from sqlmodel import SQLModel

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("plea's migrations run from plea itself: `plea db status` applies them")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
