"""plea's database: models, engine and migrations.

HEAD is the newest migration; a test checks it against Alembic's own view so that
opening an up-to-date database never has to import Alembic (start-up speed).
"""

HEAD = "0006"
