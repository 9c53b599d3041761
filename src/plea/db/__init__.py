"""plea's database: models, engine and migrations.

HEAD is the newest migration; a test checks it against Alembic's own view so that
opening an up-to-date database never has to import Alembic (start-up speed).
"""

HEAD = "0017"

#: PostgreSQL advisory lock every writing transaction takes (db/engine.py), serialising writers as
#: SQLite's BEGIN IMMEDIATE does, and with them appends to the history chain (plea.history)
PG_LOCK = 0x706C6561
