"""Idempotency keys of requests that record no job here (reports handed to Celery).

A job's own key lives on its record (revision 0004); work that leaves no job record keeps
its key here, with what the first request answered. The primary key is the check: of two
requests with one key, one inserts.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    time = "TIMESTAMPTZ" if op.get_context().dialect.name == "postgresql" else "TEXT"
    op.execute(
        "CREATE TABLE request_keys ("
        " scope TEXT NOT NULL,"
        " key TEXT NOT NULL,"
        " fingerprint TEXT NOT NULL,"
        " answer_id TEXT NOT NULL,"
        f" created_at {time} NOT NULL,"
        " PRIMARY KEY (scope, key))"
    )
    op.create_index("request_keys_created", "request_keys", ["created_at"])


def downgrade() -> None:
    op.drop_index("request_keys_created", table_name="request_keys")
    op.drop_table("request_keys")
