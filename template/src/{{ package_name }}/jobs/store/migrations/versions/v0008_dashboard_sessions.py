"""The dashboard's sign-in sessions, shared by every process that serves the dashboard.

A session is a random id in the browser's cookie; the store keeps only an HMAC of it keyed
by the API token, so a stolen copy of the table opens nothing, and a new API_TOKEN matches
no session any more. Signing out deletes the row: the cookie is refused by every process.
Created for every service (the migration history is one line); only the dashboard uses it.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    time = "TIMESTAMPTZ" if op.get_context().dialect.name == "postgresql" else "TEXT"
    op.execute(
        "CREATE TABLE dashboard_sessions ("
        " session_hash TEXT PRIMARY KEY,"
        f" created_at {time} NOT NULL,"
        f" expires_at {time} NOT NULL)"
    )
    op.create_index("dashboard_sessions_expires", "dashboard_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_index("dashboard_sessions_expires", table_name="dashboard_sessions")
    op.drop_table("dashboard_sessions")
