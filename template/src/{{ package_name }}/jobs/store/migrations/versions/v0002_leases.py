"""Owners and leases: which process runs a job, and whether it is still alive.

Indexes for the newest-first job list (with and without a status, paged by a cursor)
and for pruning finished records by age.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgresql = op.get_context().dialect.name == "postgresql"
    time = "TIMESTAMPTZ" if postgresql else "TEXT"
    # Jobs recorded before this revision have no owner: no live process claims them.
    op.add_column("jobs", sa.Column("owner", sa.Text(), nullable=True))
    op.execute(
        "CREATE TABLE instances ("
        " id TEXT PRIMARY KEY,"
        " host TEXT NOT NULL,"
        " pid INTEGER NOT NULL,"
        f" started_at {time} NOT NULL,"
        f" lease_expires_at {time} NOT NULL)"
    )
    op.drop_index("jobs_status_created", table_name="jobs")
    op.create_index("jobs_status_created_id", "jobs", ["status", "created_at", "id"])
    op.create_index("jobs_created_id", "jobs", ["created_at", "id"])
    op.create_index("jobs_finished", "jobs", ["finished_at"])


def downgrade() -> None:
    op.drop_index("jobs_finished", table_name="jobs")
    op.drop_index("jobs_created_id", table_name="jobs")
    op.drop_index("jobs_status_created_id", table_name="jobs")
    op.create_index("jobs_status_created", "jobs", ["status", "created_at"])
    op.drop_table("instances")
    op.drop_column("jobs", "owner")
