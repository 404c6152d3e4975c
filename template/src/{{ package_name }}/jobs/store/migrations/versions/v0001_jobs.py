"""The jobs table as release 0.1.0 created it (kept as it is where it already exists).

Revision ID: 0001
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JOBS = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    result TEXT,
    created_at {time} NOT NULL,
    started_at {time},
    finished_at {time}
)
"""


def upgrade() -> None:
    postgresql = op.get_context().dialect.name == "postgresql"
    op.execute(JOBS.format(time="TIMESTAMPTZ" if postgresql else "TEXT"))
    op.execute("CREATE INDEX IF NOT EXISTS jobs_status_created ON jobs (status, created_at)")


def downgrade() -> None:
    op.drop_table("jobs")
