"""Map views of deposits answered by PostGIS, so an app process holds none of them in memory.

The answer is the one ``sites.point_index`` gives from memory (same points, same grid cells,
same order): points when few are in view, else one cluster per grid cell of
``domain.deposit_view.cell_degrees(zoom)``.

A view at low zoom can hold every deposit, so the cells are kept counted per zoom (up to
``GRID_MAX_ZOOM``), status and handling marking in ``deposit_grid``, recounted in the
transaction that changes the deposits. A view reads the cells wholly inside it from that
table; a cell its edges cut is the sum of its finest cells wholly inside the view (also from
the table) and of the points in the finest cells the edges cut, found through the GiST index
on ``geom`` in thin strips along the edges. Filters the grid does not hold (commodity,
country, name) and zooms past ``GRID_MAX_ZOOM`` are counted from the points (the commodity
codes through a GIN index).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, text
from sqlalchemy.orm import Session

from domain.bbox import BBox
from domain.deposit_view import (
    PointFilter,
    cell_degrees,
    cluster_feature,
    point_feature,
    view_answer,
)
from domain.vocab import expand_groups
from store.db import bump_counter, bump_revision, get_meta, set_meta

# The finest zoom counted. Past it a view holds few enough points to count them directly;
# up to it, the cells a view's edges cut are counted from this zoom's cells wholly inside the
# view, leaving only the points of a strip one fine cell (0.18°) wide.
GRID_MAX_ZOOM = 9
DEPOSITS_REVISION = "deposits_revision"  # bumped by every change to the deposits
GRID_OF = "deposit_grid_of"  # the deposits revision the grid was counted at


def deposits_changed(session: Session) -> None:
    """Mark the deposits (and the data) as changed, and recount the grid on PostGIS, inside
    the transaction that changed them."""
    bump_revision(session)
    revision = str(bump_counter(session, DEPOSITS_REVISION))
    if session.get_bind().dialect.name == "postgresql":
        _count_grid(session.connection())
        set_meta(session, GRID_OF, revision)
        # Fresh statistics: the planner otherwise guesses a handful of rows in a world view.
        session.execute(text("ANALYZE deposits"))


def ensure_deposit_grid(engine: Engine) -> None:
    """Count the grid when it is behind the deposits (a store just migrated to PostGIS)."""
    if engine.dialect.name != "postgresql":
        return
    with Session(engine) as session, session.begin():
        if get_meta(session, GRID_OF) != (get_meta(session, DEPOSITS_REVISION) or "0"):
            _count_grid(session.connection())
            set_meta(session, GRID_OF, get_meta(session, DEPOSITS_REVISION) or "0")


def _count_grid(connection: Connection) -> None:
    """The finest zoom from the points; each coarser zoom from the one below (a cell holds
    exactly four cells of the next zoom, so floor(ix / 2) is the point's cell there)."""
    connection.execute(text("DELETE FROM deposit_grid"))
    connection.execute(text(
        f"INSERT INTO deposit_grid ({_GRID_COLUMNS}) SELECT :zoom, "
        "floor(lon / :cell)::bigint, floor(lat / :cell)::bigint, dev_status, marking, "
        "count(*), sum(lon), sum(lat), min(id) FROM deposits WHERE same_as IS NULL "
        "GROUP BY 2, 3, 4, 5"),
        {"zoom": GRID_MAX_ZOOM, "cell": cell_degrees(GRID_MAX_ZOOM)})
    for zoom in range(GRID_MAX_ZOOM - 1, -1, -1):
        connection.execute(text(
            f"INSERT INTO deposit_grid ({_GRID_COLUMNS}) SELECT :zoom, "
            "floor(ix / 2.0)::bigint, floor(iy / 2.0)::bigint, dev_status, marking, sum(n), "
            "sum(sum_lon), sum(sum_lat), min(min_id) FROM deposit_grid WHERE zoom = :finer "
            "GROUP BY 2, 3, 4, 5"), {"zoom": zoom, "finer": zoom + 1})


_GRID_COLUMNS = "zoom, ix, iy, dev_status, marking, n, sum_lon, sum_lat, min_id"


@dataclass
class _Sql:
    """A WHERE clause built from parts, with its parameters."""

    parts: list[str]
    params: dict[str, Any]

    @property
    def where(self) -> str:
        return " AND ".join(self.parts) or "TRUE"


def _filters(filters: PointFilter) -> _Sql:
    sql = _Sql([], {})
    if filters.commodities:
        codes = sorted(expand_groups(filters.commodities))
        # The expression the GIN index of migration 0005 holds: any of the codes.
        wanted = ", ".join(f":code{i}" for i in range(len(codes)))
        sql.parts.append(f"string_to_array(commodities, ';') && ARRAY[{wanted}]::text[]")
        sql.params |= {f"code{i}": code for i, code in enumerate(codes)}
    if filters.statuses:
        sql.parts.append("dev_status IN :statuses")
        sql.params["statuses"] = list(filters.statuses)
    if filters.countries:
        sql.parts.append("country IN :countries")
        sql.params["countries"] = list(filters.countries)
    if filters.name_contains:
        sql.parts.append("strpos(lower(name), :needle) > 0")
        sql.params["needle"] = filters.name_contains.lower()
    if filters.markings:  # a column of deposits and of deposit_grid alike
        sql.parts.append("marking IN :markings")
        sql.params["markings"] = list(filters.markings)
    if filters.excluded:
        sql.parts.append("id NOT IN :excluded")
        sql.params["excluded"] = list(filters.excluded)
    return sql


def _in_box(bbox: BBox) -> _Sql:
    """Inside the box, edges included: the GiST index finds candidates, lat/lon decide."""
    spans = []
    params: dict[str, Any] = {"south": bbox.south, "north": bbox.north}
    for i, (west, east) in enumerate(bbox.spans()):
        spans.append(f"(geom && ST_MakeEnvelope(:w{i}, :south, :e{i}, :north, 4326) "
                     f"AND lon >= :w{i} AND lon <= :e{i})")
        params |= {f"w{i}": west, f"e{i}": east}
    return _Sql([f"({' OR '.join(spans)})", "lat >= :south AND lat <= :north"], params)


def _inside_cell(bbox: BBox, ix: str, iy: str, cell: str = ":cell") -> str:
    """SQL: the cell (ix, iy) of width ``cell`` lies wholly inside the box (uses the
    parameters of _in_box)."""
    spans = " OR ".join(f"({ix} * {cell} >= :w{i} AND ({ix} + 1) * {cell} <= :e{i})"
                        for i in range(len(bbox.spans())))
    return f"(({spans}) AND {iy} * {cell} >= :south AND ({iy} + 1) * {cell} <= :north)"



_POINT_CELL = ("floor(lon / :cell)::bigint", "floor(lat / :cell)::bigint")
_FROM_POINTS = (f"SELECT {_POINT_CELL[0]}, {_POINT_CELL[1]}, count(*), sum(lon), sum(lat), "
                "min(id) FROM deposits WHERE {where}")


def _edge_strips(bbox: BBox, cell: float) -> list[tuple[float, float, float, float]]:
    """Boxes that together hold every point of the view outside its wholly-inside cells: the
    strips along its edges (the whole view when no cell lies wholly inside). A prefilter the
    GiST index can answer; the exact test is ``_inside_cell``.

    >>> _edge_strips(BBox(-10, -10, 100, 80), 45.0)  # cells (0..1, 0) wholly inside
    [(-10.0, -10, 0.0, 80), (90.0, -10, 100.0, 80), (0.0, -10, 90.0, 0.0), (0.0, 45.0, 90.0, 80)]
    """
    strips = []
    low_y, high_y = math.ceil(bbox.south / cell), math.floor(bbox.north / cell)
    for west, east in bbox.spans():
        low_x, high_x = math.ceil(west / cell), math.floor(east / cell)
        if low_x >= high_x or low_y >= high_y:
            strips.append((west, bbox.south, east, bbox.north))
            continue
        inner_w, inner_e = low_x * cell, high_x * cell
        strips += [(west, bbox.south, inner_w, bbox.north), (inner_e, bbox.south, east, bbox.north),
                   (inner_w, bbox.south, inner_e, low_y * cell),
                   (inner_w, high_y * cell, inner_e, bbox.north)]
    return strips


def _merged(cells: list[Any]) -> list[Any]:
    """Cells of the same (ix, iy) added together."""
    by_cell: dict[tuple[int, int], list[Any]] = {}
    for ix, iy, n, sum_lon, sum_lat, min_id in cells:
        found = by_cell.get((int(ix), int(iy)))
        if found is None:
            by_cell[(int(ix), int(iy))] = [int(ix), int(iy), int(n), sum_lon, sum_lat, min_id]
        else:
            found[2] += int(n)
            found[3] += sum_lon
            found[4] += sum_lat
            found[5] = min(found[5], min_id)
    return list(by_cell.values())


def _grid_holds(zoom: int, filters: PointFilter) -> bool:
    """Whether the grid has cells for this zoom and filters (it counts statuses and
    markings only)."""
    return zoom <= GRID_MAX_ZOOM and not (filters.commodities or filters.countries
                                          or filters.name_contains or filters.excluded)


def _grid_part(filters: PointFilter) -> PointFilter:
    """The part of the filters the grid's key holds."""
    return PointFilter(statuses=filters.statuses, markings=filters.markings)


def _deposit_filters(filters: PointFilter) -> _Sql:
    """:func:`_filters` for the deposits table itself: a record of a place that a curated
    deposit stands for (the cross-walk's ``same_as``) is not shown twice (the grid was
    counted without them)."""
    sql = _filters(filters)
    sql.parts.insert(0, "same_as IS NULL")
    return sql


def _grid_current(meta: dict[str, str]) -> bool:
    """Whether the grid was counted at the current deposits revision (store_meta values)."""
    return meta.get(GRID_OF) == meta.get(DEPOSITS_REVISION, "0")

def _run(connection: Connection, sql: str, params: dict[str, Any]) -> list[Any]:
    statement = text(sql)
    for name, value in params.items():
        if isinstance(value, list):
            statement = statement.bindparams(bindparam(name, expanding=True))
    return list(connection.execute(statement, params))


class DepositViews:
    """Views of the deposits in a PostGIS store (``query`` and ``count`` as PointIndex)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # (deposits revision, filters) -> count: every page run asks, the answer changes
        # only with the deposits.
        self._counts: dict[tuple[str, PointFilter], int] = {}

    def count(self, filters: PointFilter) -> int:
        """How many deposits match the filters anywhere."""
        with self.engine.connect() as connection:
            meta = self._meta(connection)
            key = (meta.get(DEPOSITS_REVISION, "0"), filters)
            if key not in self._counts:
                if len(self._counts) > 256:
                    self._counts.clear()
                by_grid = _grid_holds(0, filters) and _grid_current(meta)
                self._counts[key] = self._count(connection, filters, by_grid)
            return self._counts[key]

    def _count(self, connection: Connection, filters: PointFilter, by_grid: bool) -> int:
        if by_grid:
            sql = _filters(_grid_part(filters))
            sql.parts.append("zoom = 0")
            found = _run(connection, "SELECT coalesce(sum(n), 0)::bigint FROM deposit_grid "
                         f"WHERE {sql.where}", sql.params)
        else:
            sql = _deposit_filters(filters)
            found = _run(connection, f"SELECT count(*) FROM deposits WHERE {sql.where}",
                         sql.params)
        return int(found[0][0])

    def query(self, bbox: BBox, zoom: int, filters: PointFilter,
              point_limit: int = 2000) -> dict[str, Any]:
        """Points when at most ``point_limit`` match inside ``bbox``, else clusters."""
        box, wanted = _in_box(bbox), _deposit_filters(filters)
        where = " AND ".join([box.where, wanted.where])
        params = box.params | wanted.params
        with self.engine.connect() as connection:
            if _grid_holds(zoom, filters) and _grid_current(self._meta(connection)):
                # The counted cells say how many are in view, without touching the points.
                cells = self._grid_cells(connection, bbox, zoom, filters, where, params)
                if sum(int(c[2]) for c in cells) > point_limit:
                    return self._clusters(connection, cells)
            else:
                capped = _run(connection, f"SELECT count(*) FROM (SELECT 1 FROM deposits "
                              f"WHERE {where} LIMIT :cap) AS t", params | {"cap": point_limit + 1})
                if capped[0][0] > point_limit:
                    return self._clusters(connection, _run(
                        connection, f"{_FROM_POINTS.format(where=where)} GROUP BY 1, 2",
                        params | {"cell": cell_degrees(zoom)}))
            rows = _run(connection, "SELECT id, lon, lat, name, dev_status, commodities "
                        f"FROM deposits WHERE {where} ORDER BY id", params)
            return view_answer([point_feature(*row) for row in rows], "points", len(rows))

    def _meta(self, connection: Connection) -> dict[str, str]:
        return dict(_run(connection, "SELECT key, value FROM store_meta WHERE key IN :keys",
                         {"keys": [GRID_OF, DEPOSITS_REVISION]}))

    def _grid_cells(self, connection: Connection, bbox: BBox, zoom: int, filters: PointFilter,
                    where: str, params: dict[str, Any]) -> list[Any]:
        """(ix, iy, n, sum_lon, sum_lat, min_id) of every cell with a matching point in view.

        A cell wholly inside the view comes from the grid at this zoom. A cell the view's
        edges cut is the sum of its finest-zoom cells wholly inside the view (from the grid)
        and of its points in the finest cells the edges cut, found through the index in the
        strips along the edges."""
        params = params | {"cell": cell_degrees(zoom), "fine": cell_degrees(GRID_MAX_ZOOM),
                           "k": float(2 ** (GRID_MAX_ZOOM - zoom))}
        grid_part = _filters(_grid_part(filters))
        params |= grid_part.params
        sums = "sum(n)::bigint, sum(sum_lon), sum(sum_lat), min(min_id)"
        inner = _run(connection, f"SELECT ix, iy, {sums} FROM deposit_grid WHERE zoom = :zoom "
                     f"AND {grid_part.where} AND {_inside_cell(bbox, 'ix', 'iy')} "
                     "GROUP BY ix, iy", params | {"zoom": zoom})
        parent = ("floor(ix / :k)::bigint", "floor(iy / :k)::bigint")
        # Only the fine cells in the strips of the cut cells: a range of the grid's key.
        fine = cell_degrees(GRID_MAX_ZOOM)
        ranges = []
        for i, (west, south, east, north) in enumerate(_edge_strips(bbox, cell_degrees(zoom))):
            ranges.append(f"(ix BETWEEN :rx{i} AND :rX{i} AND iy BETWEEN :ry{i} AND :rY{i})")
            params |= {f"rx{i}": math.floor(west / fine), f"rX{i}": math.floor(east / fine),
                       f"ry{i}": math.floor(south / fine), f"rY{i}": math.floor(north / fine)}
        fine_inside = _run(
            connection, f"SELECT {parent[0]}, {parent[1]}, {sums} FROM deposit_grid "
            f"WHERE zoom = :finest AND ({' OR '.join(ranges)}) AND {grid_part.where} "
            f"AND {_inside_cell(bbox, 'ix', 'iy', ':fine')} "
            f"AND NOT {_inside_cell(bbox, *parent)} GROUP BY 1, 2",
            params | {"finest": GRID_MAX_ZOOM})
        strips = _edge_strips(bbox, cell_degrees(GRID_MAX_ZOOM))
        near_edges = " OR ".join(
            f"geom && ST_MakeEnvelope(:sw{i}, :ss{i}, :se{i}, :sn{i}, 4326)"
            for i in range(len(strips)))
        for i, (west, south, east, north) in enumerate(strips):
            params |= {f"sw{i}": west, f"ss{i}": south, f"se{i}": east, f"sn{i}": north}
        fine_cell = ("floor(lon / :fine)::bigint", "floor(lat / :fine)::bigint")
        cut = _run(connection, f"{_FROM_POINTS.format(where=where)} AND ({near_edges}) "
                   f"AND NOT {_inside_cell(bbox, *fine_cell, ':fine')} GROUP BY 1, 2", params)
        return inner + _merged(fine_inside + cut)

    def _clusters(self, connection: Connection, cells: list[Any]) -> dict[str, Any]:
        # The in-memory index orders cells by this key; the same order keeps answers equal.
        cells.sort(key=lambda c: int(c[0]) * 1_000_003 + int(c[1]))
        single = [int(c[5]) for c in cells if c[2] == 1]
        points = {row[0]: row for row in _run(
            connection, "SELECT id, lon, lat, name, dev_status, commodities FROM deposits "
            "WHERE id IN :ids", {"ids": single})} if single else {}
        features = [point_feature(*points[int(c[5])]) if c[2] == 1
                    else cluster_feature(c[3] / c[2], c[4] / c[2], int(c[2])) for c in cells]
        return view_answer(features, "clusters", sum(int(c[2]) for c in cells))
