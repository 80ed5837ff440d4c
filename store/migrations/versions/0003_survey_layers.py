"""Survey layers uploaded by staff: the catalog and the features of vector layers.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "survey_layers",
        sa.Column("id", sa.String(80), primary_key=True, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("licence", sa.Text(), nullable=False),
        sa.Column("surveyed_on", sa.Date(), nullable=True),
        sa.Column("uploaded_by", sa.String(120), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("original_filename", sa.String(300), nullable=False),
        sa.Column("checksum", sa.String(64), nullable=False),
        sa.Column("source_layer", sa.String(300), nullable=False),
        sa.Column("file_format", sa.String(60), nullable=False),
        sa.Column("original_crs", sa.Text(), nullable=False),
        sa.Column("geometry_type", sa.String(40), nullable=False),
        sa.Column("feature_count", sa.Integer(), nullable=False),
        sa.Column("min_lon", sa.Float(), nullable=True),
        sa.Column("min_lat", sa.Float(), nullable=True),
        sa.Column("max_lon", sa.Float(), nullable=True),
        sa.Column("max_lat", sa.Float(), nullable=True),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("style", sa.Text(), nullable=False),
        sa.Column("raster_file", sa.String(300), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.UniqueConstraint("checksum", "source_layer", name="uq_layer_upload"),
    )
    op.create_index("ix_survey_layers_checksum", "survey_layers", ["checksum"])
    op.create_table(
        "survey_features",
        sa.Column("layer_id", sa.String(80),
                  sa.ForeignKey("survey_layers.id", ondelete="CASCADE"),
                  primary_key=True, nullable=False),
        sa.Column("feature_no", sa.Integer(), primary_key=True, nullable=False),
        sa.Column("geometry", sa.LargeBinary(), nullable=False),
        sa.Column("properties", sa.Text(), nullable=False),
        sa.Column("min_lon", sa.Float(), nullable=False),
        sa.Column("min_lat", sa.Float(), nullable=False),
        sa.Column("max_lon", sa.Float(), nullable=False),
        sa.Column("max_lat", sa.Float(), nullable=False),
    )
    # The layer revision counter exists from the start, so it can be bumped atomically.
    meta = sa.table("store_meta", sa.column("key", sa.String), sa.column("value", sa.Text))
    op.bulk_insert(meta, [{"key": "layer_revision", "value": "0"}])


def downgrade() -> None:
    op.execute("DELETE FROM store_meta WHERE key = 'layer_revision'")
    op.drop_table("survey_features")
    op.drop_index("ix_survey_layers_checksum", table_name="survey_layers")
    op.drop_table("survey_layers")
