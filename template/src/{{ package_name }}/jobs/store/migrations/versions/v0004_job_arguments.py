"""Jobs that come back: each job's arguments, the request it came from, retries, idempotency keys.

A job recorded with its arguments can be run again by any process that knows its kind:
after its process stopped, or by hand (a retry names the job it retries in `retry_of`).
An `Idempotency-Key` is unique per job kind, so a repeated request finds the first one's job.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COLUMNS = ("arguments", "request_id", "retry_of", "idempotency_key", "request_fingerprint")


def upgrade() -> None:
    # Jobs recorded before this revision have no arguments: they are never run again.
    for column in COLUMNS:
        op.add_column("jobs", sa.Column(column, sa.Text(), nullable=True))
    # Partial indexes: jobs without a key or a retry cost no index entry.
    op.create_index(
        "jobs_idempotency_key",
        "jobs",
        ["idempotency_key", "kind"],
        unique=True,
        sqlite_where=sa.text("idempotency_key IS NOT NULL"),
        postgresql_where=sa.text("idempotency_key IS NOT NULL"),
    )
    op.create_index(
        "jobs_retry_of",
        "jobs",
        ["retry_of"],
        unique=True,
        sqlite_where=sa.text("retry_of IS NOT NULL"),
        postgresql_where=sa.text("retry_of IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("jobs_retry_of", table_name="jobs")
    op.drop_index("jobs_idempotency_key", table_name="jobs")
    for column in reversed(COLUMNS):
        op.drop_column("jobs", column)
