"""Control over the work: the backlog waits in the store, by priority and due time; cancel,
dead letters and progress.

- `priority` (higher first) and `run_at` (not before; NULL for at once): a process claims
  the next due job of a kind from the store when a slot of that kind frees.
- `recoveries`: how many times the job was taken over after its process died while it ran;
  past a ceiling it is recorded `dead` instead of run again.
- `cancel_requested_at`: a cancel asked through any process, seen by the job's owner.
- `progress_done` and `progress_total`: what a running job last said of its progress.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgresql = op.get_context().dialect.name == "postgresql"
    time = "TIMESTAMPTZ" if postgresql else "TEXT"
    op.add_column(
        "jobs", sa.Column("priority", sa.Integer(), nullable=False, server_default=sa.text("0"))
    )
    op.execute(f"ALTER TABLE jobs ADD COLUMN run_at {time}")
    op.add_column(
        "jobs", sa.Column("recoveries", sa.Integer(), nullable=False, server_default=sa.text("0"))
    )
    op.execute(f"ALTER TABLE jobs ADD COLUMN cancel_requested_at {time}")
    op.add_column("jobs", sa.Column("progress_done", sa.Integer(), nullable=True))
    op.add_column("jobs", sa.Column("progress_total", sa.Integer(), nullable=True))
    # The backlog: queued jobs by kind, highest priority first, oldest first within one.
    op.create_index(
        "jobs_backlog",
        "jobs",
        ["kind", sa.text("priority DESC"), "id"],
        sqlite_where=sa.text("status = 'queued'"),
        postgresql_where=sa.text("status = 'queued'"),
    )


def downgrade() -> None:
    op.drop_index("jobs_backlog", table_name="jobs")
    for column in (
        "progress_total",
        "progress_done",
        "cancel_requested_at",
        "recoveries",
        "run_at",
        "priority",
    ):
        op.drop_column("jobs", column)
