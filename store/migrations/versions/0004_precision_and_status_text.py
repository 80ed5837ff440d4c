"""How precisely each milestone date is known: "day", "month", "quarter" or "year" beside
each of the four dates (empty = a day, as the dashboard and staff edits give them); and a
deposit's status in its source's words as text of any length (it was 120 characters).

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
    with op.batch_alter_table("deposits") as batch:
        batch.alter_column("dev_status_original", type_=sa.Text(),
                           existing_type=sa.String(120), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("deposits") as batch:
        batch.alter_column("dev_status_original", type_=sa.String(120),
                           existing_type=sa.Text(), existing_nullable=False)
    with op.batch_alter_table("permit_milestones") as batch:
        for name in COLUMNS:
            batch.drop_column(name)
