"""PostGIS geometry beside the portable columns, on PostgreSQL only.

Sites and deposits get a ``geom`` point and survey features a ``geom`` geometry, all SRID 4326
with GiST indexes. Each is a generated column computed by the database from ``lat``/``lon``
or from the stored WKB, so no writer can let the two disagree and SQLite keeps its portable
columns unchanged. A GIN index holds each deposit's commodity codes, for the map's commodity
filter. ``deposit_grid`` holds the map's cluster counts per zoom for the unfiltered and
status-filtered views (see ``store.deposit_views``).

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

POINT = ("geometry(Point, 4326) GENERATED ALWAYS AS (CASE WHEN lat IS NULL OR lon IS NULL "
         "THEN NULL ELSE ST_SetSRID(ST_MakePoint(lon, lat), 4326) END) STORED")
# 2D: a survey feature's WKB may carry heights; the map and the view queries use x and y.
SHAPE = ("geometry(Geometry, 4326) GENERATED ALWAYS AS "
         "(ST_SetSRID(ST_Force2D(ST_GeomFromWKB(geometry)), 4326)) STORED")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute(f"ALTER TABLE sites ADD COLUMN geom {POINT}")
    op.execute(f"ALTER TABLE deposits ADD COLUMN geom {POINT}")
    op.execute(f"ALTER TABLE survey_features ADD COLUMN geom {SHAPE}")
    for table in ("sites", "deposits", "survey_features"):
        op.execute(f"CREATE INDEX ix_{table}_geom ON {table} USING gist (geom)")
    # A commodity filter reads the codes through this index instead of every row.
    op.execute("CREATE INDEX ix_deposits_commodity_codes ON deposits "
               "USING gin (string_to_array(commodities, ';'))")
    op.execute("""
        CREATE TABLE deposit_grid (
            zoom smallint NOT NULL,
            ix bigint NOT NULL,
            iy bigint NOT NULL,
            dev_status varchar(40) NOT NULL,
            n bigint NOT NULL,
            sum_lon double precision NOT NULL,
            sum_lat double precision NOT NULL,
            min_id integer NOT NULL,
            PRIMARY KEY (zoom, ix, iy, dev_status)
        )""")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TABLE deposit_grid")
    for table in ("sites", "deposits", "survey_features"):
        op.execute(f"ALTER TABLE {table} DROP COLUMN geom")
