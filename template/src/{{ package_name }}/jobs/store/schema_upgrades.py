"""The jobs store's schema, versioned by Alembic (migrations/versions/, one file a change).

Every engine applies the same revisions; `<command> db upgrade` and every start-up run
them, inside the caller's transaction, once at a time however many processes start.
"""

from pathlib import Path
from typing import NamedTuple

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


class SchemaChange(NamedTuple):
    """The store's schema revision before an upgrade (None: no schema yet) and after it."""

    before: str | None
    after: str | None


def upgrade_schema(connection: Connection) -> SchemaChange:
    before = MigrationContext.configure(connection).get_current_revision()
    command.upgrade(alembic_config(connection), "head")
    return SchemaChange(before, MigrationContext.configure(connection).get_current_revision())


def schema_status(connection: Connection) -> tuple[str | None, str | None]:
    """The store's schema revision, and the newest this code knows."""
    current = MigrationContext.configure(connection).get_current_revision()
    head = ScriptDirectory.from_config(alembic_config(connection)).get_current_head()
    return current, head
