"""Reports handed to Celery, as issued: the list the API and the dashboard show.

Celery's result backend holds each report's state but cannot list them; this table names
the reports this service issued, newest first, and the backend is asked for their states.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
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


def downgrade() -> None:
    op.drop_index("issued_reports_issued", table_name="issued_reports")
    op.drop_table("issued_reports")
