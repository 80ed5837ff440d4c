"""Japanese names of a site: its own (``name_ja``), its operator's, its prefecture's and its
municipality's, each from a source (``names_ja_source``) and empty where none was found.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

COLUMNS = (("name_ja", sa.String(300)), ("operator_ja", sa.String(300)),
           ("admin_area_ja", sa.String(120)), ("locality_ja", sa.String(300)),
           ("names_ja_source", sa.Text()))


def upgrade() -> None:
    with op.batch_alter_table("sites") as batch:
        for name, kind in COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("sites") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
