"""The deposit grid counts per handling marking too, so a map view for someone without the
clearance of a marked deposit counts without it and still reads the grid (PostgreSQL only;
SQLite has no grid: its processes count in memory).

The grid is derived: recreated with ``marking`` in its key and recounted here (the SQL of
``store.deposit_views._count_grid`` at this revision, written out so that the migration keeps
its meaning when that code changes).

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

FINEST = 9  # store.deposit_views.GRID_MAX_ZOOM at this revision
CELL_PIXELS = 64  # domain.deposit_view.CLUSTER_CELL_PIXELS


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _recreate(("dev_status", "marking"))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _recreate(("dev_status",))


def _recreate(keys: tuple[str, ...]) -> None:
    columns = ", ".join(f"{key} varchar(40) NOT NULL" for key in keys)
    op.execute("DROP TABLE deposit_grid")
    op.execute(f"""
        CREATE TABLE deposit_grid (
            zoom smallint NOT NULL,
            ix bigint NOT NULL,
            iy bigint NOT NULL,
            {columns},
            n bigint NOT NULL,
            sum_lon double precision NOT NULL,
            sum_lat double precision NOT NULL,
            min_id integer NOT NULL,
            PRIMARY KEY (zoom, ix, iy, {", ".join(keys)})
        )""")
    named = ", ".join(keys)
    groups = ", ".join(str(4 + i) for i in range(len(keys)))
    fields = f"zoom, ix, iy, {named}, n, sum_lon, sum_lat, min_id"
    cell = CELL_PIXELS * 360.0 / (256 * 2 ** FINEST)
    op.execute(f"INSERT INTO deposit_grid ({fields}) SELECT {FINEST}, "
               f"floor(lon / {cell!r})::bigint, floor(lat / {cell!r})::bigint, {named}, "
               f"count(*), sum(lon), sum(lat), min(id) FROM deposits GROUP BY 2, 3, {groups}")
    for zoom in range(FINEST - 1, -1, -1):
        op.execute(f"INSERT INTO deposit_grid ({fields}) SELECT {zoom}, "
                   f"floor(ix / 2.0)::bigint, floor(iy / 2.0)::bigint, {named}, sum(n), "
                   "sum(sum_lon), sum(sum_lat), min(min_id) FROM deposit_grid "
                   f"WHERE zoom = {zoom + 1} GROUP BY 2, 3, {groups}")
