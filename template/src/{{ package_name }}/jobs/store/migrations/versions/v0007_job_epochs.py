"""Fencing: a job's epoch changes at every takeover, so a former owner's late write lands nowhere.

Every change to a job's record is conditioned on the writer's owner id and the epoch it
claimed the job at. A process paused past its lease (a long GC or VM pause, a host cut off
from the database) wakes up holding jobs another process has taken over since: its writes
match no row, and it drops those jobs instead of doing their work again.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "jobs", sa.Column("epoch", sa.Integer(), nullable=False, server_default=sa.text("0"))
    )


def downgrade() -> None:
    op.drop_column("jobs", "epoch")
