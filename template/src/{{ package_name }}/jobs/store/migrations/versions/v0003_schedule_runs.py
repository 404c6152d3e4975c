"""Schedule runs: which due time of which schedule a process has claimed, once for all.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    time = "TIMESTAMPTZ" if op.get_context().dialect.name == "postgresql" else "TEXT"
    # The primary key is the claim: of all the processes inserting (name, due_at), one wins.
    op.execute(
        "CREATE TABLE schedule_runs ("
        " name TEXT NOT NULL,"
        f" due_at {time} NOT NULL,"
        " job_id TEXT NOT NULL,"
        " PRIMARY KEY (name, due_at))"
    )


def downgrade() -> None:
    op.drop_table("schedule_runs")
