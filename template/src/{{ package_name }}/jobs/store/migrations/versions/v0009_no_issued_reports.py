"""Reports are listed from their job records, whichever task queue runs them: the list of
reports handed to Celery (0006) is read by nothing any more.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("issued_reports_issued", table_name="issued_reports")
    op.drop_table("issued_reports")


def downgrade() -> None:
    time = "TIMESTAMPTZ" if op.get_context().dialect.name == "postgresql" else "TEXT"
    op.execute(
        "CREATE TABLE issued_reports ("
        " task_id TEXT PRIMARY KEY,"
        " name TEXT NOT NULL,"
        " row_count INTEGER NOT NULL,"
        f" issued_at {time} NOT NULL,"
        " request_id TEXT)"
    )
    op.create_index("issued_reports_issued", "issued_reports", ["issued_at", "task_id"])
