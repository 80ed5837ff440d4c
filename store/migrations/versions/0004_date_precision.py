"""How precisely each milestone date is known: "day", "month", "quarter" or "year" beside
each of the four dates (empty = a day, as the dashboard and staff edits give them).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COLUMNS = ("baseline_target_precision", "current_target_precision",
           "alternative_completion_precision", "actual_completion_precision")


def upgrade() -> None:
    with op.batch_alter_table("permit_milestones") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("permit_milestones") as batch:
        for name in COLUMNS:
            batch.drop_column(name)
