"""The cross-walk: links between records that are the same place, with how each was found,
its score and who confirmed or rejected it; a site may take a linked deposit's published
position (``use_position``); an imported deposit that is the same place as a curated one
names it (``deposits.same_as``) and the maps leave it out.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crosswalk_links",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True, nullable=False),
        sa.Column("a_kind", sa.String(20), nullable=False),
        sa.Column("a_key", sa.String(300), nullable=False),
        sa.Column("b_kind", sa.String(20), nullable=False),
        sa.Column("b_key", sa.String(300), nullable=False),
        sa.Column("method", sa.String(40), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("distance_km", sa.Float(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("decided_by", sa.String(120), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("use_position", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.UniqueConstraint("a_kind", "a_key", "b_kind", "b_key", name="uq_crosswalk_pair"),
    )
    op.create_index("ix_crosswalk_links_a_key", "crosswalk_links", ["a_key"])
    op.create_index("ix_crosswalk_links_b_key", "crosswalk_links", ["b_key"])
    op.create_index("ix_crosswalk_links_status", "crosswalk_links", ["status"])
    with op.batch_alter_table("deposits") as batch:
        batch.add_column(sa.Column("same_as", sa.String(300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deposits") as batch:
        batch.drop_column("same_as")
    op.drop_table("crosswalk_links")
