"""Sites, deposits, dataset imports and store metadata.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sites",
        sa.Column("id", sa.String(120), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("operator", sa.String(300), nullable=False),
        sa.Column("country", sa.String(80), nullable=False),
        sa.Column("admin_area", sa.String(120), nullable=False),
        sa.Column("locality", sa.String(300), nullable=False),
        sa.Column("stage", sa.String(40), nullable=False),
        sa.Column("other_stages", sa.String(200), nullable=False),
        sa.Column("commodities", sa.String(300), nullable=False),
        sa.Column("commodities_original", sa.Text(), nullable=False),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("status_original", sa.Text(), nullable=False),
        sa.Column("status_date", sa.String(20), nullable=False),
        sa.Column("jointly_selected", sa.Boolean(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("position_quality", sa.String(40), nullable=False),
        sa.Column("location_note", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
    )
    for column in ("name", "country", "stage", "status"):
        op.create_index(f"ix_sites_{column}", "sites", [column])
    op.create_table(
        "deposits",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("dataset", sa.String(80), nullable=False),
        sa.Column("source_record_id", sa.String(120), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("other_names", sa.Text(), nullable=False),
        sa.Column("country", sa.String(80), nullable=False),
        sa.Column("admin_area", sa.String(120), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("dev_status", sa.String(40), nullable=False),
        sa.Column("dev_status_original", sa.String(120), nullable=False),
        sa.Column("commodities", sa.String(300), nullable=False),
        sa.Column("commodities_original", sa.Text(), nullable=False),
        sa.Column("deposit_type", sa.Text(), nullable=False),
        sa.Column("position_quality", sa.String(40), nullable=False),
        sa.Column("position_note", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.UniqueConstraint("dataset", "source_record_id", name="uq_deposit_record"),
    )
    op.create_index("ix_deposits_lat_lon", "deposits", ["lat", "lon"])
    op.create_index("ix_deposits_dataset", "deposits", ["dataset"])
    op.create_index("ix_deposits_country", "deposits", ["country"])
    op.create_table(
        "dataset_imports",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("dataset", sa.String(80), nullable=False),
        sa.Column("file_name", sa.String(300), nullable=False),
        sa.Column("checksum", sa.String(64), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_loaded", sa.Integer(), nullable=False),
        sa.Column("rows_skipped", sa.Integer(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "store_meta",
        sa.Column("key", sa.String(80), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    for table in ("store_meta", "dataset_imports", "deposits", "sites"):
        op.drop_table(table)
