"""Permitting record: projects, actions, milestones and the append-only change history.

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
    op.create_table(
        "permit_projects",
        sa.Column("project_id", sa.String(160), primary_key=True, nullable=False),
        sa.Column("site_id", sa.String(160), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("lead_agency", sa.Text(), nullable=False),
        sa.Column("sponsor", sa.Text(), nullable=False),
        sa.Column("sector", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("county", sa.Text(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("pause_start", sa.Date(), nullable=True),
        sa.Column("pause_end", sa.Date(), nullable=True),
        sa.Column("pause_reason", sa.Text(), nullable=False),
        sa.Column("pause_next_steps", sa.Text(), nullable=False),
        sa.Column("dataset", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_permit_projects_site_id", "permit_projects", ["site_id"])
    op.create_table(
        "permit_actions",
        sa.Column("action_id", sa.String(160), primary_key=True, nullable=False),
        sa.Column("project_id", sa.String(160), nullable=False),
        sa.Column("action_type", sa.Text(), nullable=False),
        sa.Column("agency", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("identifier", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("pause_start", sa.Date(), nullable=True),
        sa.Column("pause_end", sa.Date(), nullable=True),
        sa.Column("pause_reason", sa.Text(), nullable=False),
        sa.Column("pause_next_steps", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_permit_actions_project_id", "permit_actions", ["project_id"])
    op.create_table(
        "permit_milestones",
        sa.Column("milestone_id", sa.String(160), primary_key=True, nullable=False),
        sa.Column("action_id", sa.String(160), nullable=False),
        sa.Column("project_id", sa.String(160), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("milestone_type", sa.Text(), nullable=False),
        sa.Column("baseline_target", sa.Date(), nullable=True),
        sa.Column("current_target", sa.Date(), nullable=True),
        sa.Column("alternative_completion", sa.Date(), nullable=True),
        sa.Column("actual_completion", sa.Date(), nullable=True),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("not_applicable", sa.Boolean(), nullable=False),
        sa.Column("depends_on", sa.String(160), nullable=False),
        sa.Column("reason_for_change", sa.Text(), nullable=False),
        sa.Column("final_milestone", sa.Boolean(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_permit_milestones_action_id", "permit_milestones", ["action_id"])
    op.create_index("ix_permit_milestones_project_id", "permit_milestones", ["project_id"])
    op.create_index("ix_permit_milestones_depends_on", "permit_milestones", ["depends_on"])
    op.create_table(
        "permit_changes",
        sa.Column("change_id", sa.Integer(), primary_key=True, autoincrement=True, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("who", sa.String(200), nullable=False),
        sa.Column("entity", sa.String(20), nullable=False),
        sa.Column("entity_id", sa.String(160), nullable=False),
        sa.Column("project_id", sa.String(160), nullable=False),
        sa.Column("field", sa.String(60), nullable=False),
        sa.Column("before", sa.Text(), nullable=False),
        sa.Column("after", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
    )
    op.create_index("ix_permit_changes_entity_id", "permit_changes", ["entity_id"])
    op.create_index("ix_permit_changes_project_id", "permit_changes", ["project_id"])
    op.create_index("ix_permit_changes_changed_at", "permit_changes", ["changed_at"])


def downgrade() -> None:
    for table in ("permit_changes", "permit_milestones", "permit_actions", "permit_projects"):
        op.drop_table(table)
