"""Build the committed display basemap (data/basemap/*.geojson) from npm ``world-atlas``.

One-off converter, kept so the files can be rebuilt and audited::

    npm pack world-atlas@2.0.2            # -> world-atlas-2.0.2.tgz
    .venv/bin/python scripts/build_basemap.py world-atlas-2.0.2.tgz
    npm pack us-atlas@3.0.1               # -> us-atlas-3.0.1.tgz (US state lines)
    .venv/bin/python scripts/build_basemap.py us-atlas-3.0.1.tgz \
        --mesh states-10m.json:states --mesh-out us-state-lines.geojson

SOURCE is the ``npm pack`` tarball or a folder holding the TopoJSON files (the
extracted ``package/`` folder or its parent). The tarball is read in memory; nothing
is extracted to disk. world-atlas is Natural Earth (public domain) as TopoJSON.

Steps: decode the quantized, delta-encoded TopoJSON arcs; (only if a file would
exceed the size budget) simplify each shared arc with shapely's topology-preserving
simplifier, so neighbouring countries keep identical borders; assemble rings; cut
polygons crossing the antimeridian at +-180 (Russia, Fiji) and close rings that
encircle a pole down to the pole (Antarctica), because world-atlas follows d3's
spherical conventions while Leaflet draws planar lon/lat; snap coordinates to the
output grid with GEOS' precision reducer (keeps polygons valid); orient shells
counter-clockwise (RFC 7946); write one feature per line, ``name`` the only property.

``--mesh MEMBER:OBJECT`` instead writes the interior borders of one TopoJSON object
(the arcs shared by two different geometries, like topojson's
``mesh(topology, object, (a, b) => a !== b)``) as one MultiLineString feature: no
coastlines, each border drawn once.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tarfile
from collections.abc import Iterator, Sequence
from itertools import pairwise
from pathlib import Path

from shapely import affinity, make_valid, set_precision
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Polygon, box
from shapely.geometry.polygon import orient
from shapely.ops import linemerge

Point = tuple[float, float]
Ring = list[Point]

OUT_DIR = Path(__file__).resolve().parent.parent / "data" / "basemap"
MAX_BYTES = 1_500_000
# resolution -> decimals kept in the output
RESOLUTIONS: dict[str, int] = {"110m": 2, "50m": 3}
# simplification tolerances (degrees) tried in turn until the file fits MAX_BYTES
TOLERANCES: tuple[float, ...] = (0.0, 0.005, 0.01, 0.02, 0.03)
MESH_MAX_BYTES = 400_000  # --mesh output budget
MESH_DECIMALS = 3
POLE_LAT = 89.99  # rings entirely this close to a pole are degenerate


# ---------------------------------------------------------------- reading the source
def read_member(source: Path, name: str) -> bytes:
    """Bytes of ``name`` (e.g. ``countries-50m.json``) from a tarball or a folder."""
    if source.is_dir():
        for candidate in (source / name, source / "package" / name):
            if candidate.is_file():
                return candidate.read_bytes()
        raise FileNotFoundError(f"{name} not found in {source}")
    with tarfile.open(source, "r:gz") as tar:
        member = tar.getmember(f"package/{name}")  # KeyError if absent
        if not member.isfile():
            raise ValueError(f"{member.name} in {source} is not a regular file")
        handle = tar.extractfile(member)
        assert handle is not None
        return handle.read()


# ---------------------------------------------------------------- TopoJSON decoding
def decode_arcs(topology: dict) -> list[Ring]:
    """Absolute lon/lat arcs from a (quantized, delta-encoded) topology."""
    transform = topology.get("transform")
    arcs: list[Ring] = []
    for arc in topology["arcs"]:
        if transform is None:
            arcs.append([(float(p[0]), float(p[1])) for p in arc])
            continue
        (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
        x = y = 0
        points: Ring = []
        for dx, dy, *_ in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def simplify_arcs(arcs: list[Ring], tolerance: float) -> list[Ring]:
    """Topology-preserving simplification of each arc (endpoints are kept)."""
    if tolerance <= 0:
        return arcs
    out: list[Ring] = []
    for arc in arcs:
        if len(arc) < 3:
            out.append(arc)
            continue
        line = LineString(arc).simplify(tolerance, preserve_topology=True)
        out.append([(x, y) for x, y in line.coords])
    return out


def assemble_ring(indexes: Sequence[int], arcs: list[Ring]) -> Ring:
    ring: Ring = []
    for index in indexes:
        points = arcs[index] if index >= 0 else arcs[~index][::-1]
        ring.extend(points if not ring else points[1:])
    return ring


def arc_indexes(arcs: object) -> Iterator[int]:
    """Every arc index (non-negative) in a geometry's nested ``arcs`` lists."""
    if isinstance(arcs, int):
        yield arcs if arcs >= 0 else ~arcs
    elif isinstance(arcs, list):
        for item in arcs:
            yield from arc_indexes(item)


def interior_mesh(topology: dict, object_name: str) -> list[Ring]:
    """Arcs shared by two different geometries of ``object_name``, joined into lines."""
    owners: dict[int, set[int]] = {}
    for number, geom in enumerate(topology["objects"][object_name]["geometries"]):
        for index in arc_indexes(geom.get("arcs", [])):
            owners.setdefault(index, set()).add(number)
    arcs = decode_arcs(topology)
    shared = [arcs[index] for index in sorted(owners) if len(owners[index]) > 1]
    merged = linemerge(MultiLineString(shared))
    lines = merged.geoms if hasattr(merged, "geoms") else [merged]
    return [[(x, y) for x, y in line.coords] for line in lines]


def convert_mesh(topology: dict, object_name: str, decimals: int, tolerance: float) -> str:
    lines: list[list[list[float]]] = []
    for line in simplify_arcs(interior_mesh(topology, object_name), tolerance):
        coords: list[list[float]] = []
        for point in ring_coords(line, decimals):
            if not coords or point != coords[-1]:
                coords.append(point)
        if len(coords) >= 2:
            lines.append(coords)
    feat = {
        "type": "Feature",
        "properties": {"name": f"{object_name} interior borders"},
        "geometry": {"type": "MultiLineString", "coordinates": lines},
    }
    return (
        '{"type":"FeatureCollection","features":[\n'
        + json.dumps(feat, separators=(",", ":"))
        + "\n]}\n"
    )


# ---------------------------------------------------------------- antimeridian / poles
def unwrap(ring: Ring) -> Ring:
    """Make longitudes continuous: a step of more than 180 degrees means the edge
    really crosses the antimeridian, so shift the rest of the ring by 360."""
    out: Ring = [ring[0]]
    shift = 0.0
    for (x0, _), (x1, y1) in pairwise(ring):
        if x1 - x0 > 180:
            shift -= 360
        elif x0 - x1 > 180:
            shift += 360
        out.append((x1 + shift, y1))
    return out


def planar_ring(ring: Ring) -> Ring | None:
    """Unwrapped ring, closed through the pole if it encircles one; None if degenerate."""
    if len(ring) < 4 or all(abs(y) >= POLE_LAT for _, y in ring):
        return None  # world-atlas' spherical closing ring along latitude -89.999
    ring = unwrap(ring)
    (x0, y0), (x1, _) = ring[0], ring[-1]
    if abs(x1 - x0) > 180:  # goes once around the globe: encircles a pole
        pole = -90.0 if sum(y for _, y in ring) < 0 else 90.0
        steps = math.ceil(abs(x1 - x0) / 90)  # no edge longer than 90 degrees
        along_pole = [(x1 + (x0 - x1) * i / steps, pole) for i in range(steps + 1)]
        ring = [*ring, *along_pole, (x0, y0)]
    return ring


def planar_polygons(rings: list[Ring]) -> list[Polygon]:
    """Spherical TopoJSON polygon (list of rings) -> planar polygons in [-180, 180]."""
    planar = [r for r in (planar_ring(ring) for ring in rings) if r is not None]
    if not planar:
        return []
    shell, holes = planar[0], planar[1:]
    centre = sum(x for x, _ in shell) / len(shell)
    aligned = []
    for hole in holes:  # put each hole in the same 360-degree window as its shell
        offset = 360.0 * round((centre - sum(x for x, _ in hole) / len(hole)) / 360.0)
        aligned.append([(x + offset, y) for x, y in hole])
    polygon = Polygon(shell, aligned)
    minx, _, maxx, _ = polygon.bounds
    if minx >= -180 and maxx <= 180:
        return [polygon]
    polygon = make_valid(polygon)
    pieces: list[Polygon] = []
    for offset in (-360.0, 0.0, 360.0):
        window = box(-180 - offset, -90, 180 - offset, 90)
        part = affinity.translate(polygon.intersection(window), xoff=offset)
        pieces.extend(p for p in _polygons(part) if not p.is_empty)
    return pieces


def _polygons(geometry: object) -> Iterator[Polygon]:
    if isinstance(geometry, Polygon):
        yield geometry
    elif hasattr(geometry, "geoms"):
        for part in geometry.geoms:
            yield from _polygons(part)


# ---------------------------------------------------------------- output
def ring_coords(coords: Sequence[Sequence[float]], decimals: int) -> list[list[float]]:
    return [
        [min(180.0, max(-180.0, round(x, decimals))), min(90.0, max(-90.0, round(y, decimals)))]
        for x, y in coords
    ]


def feature(name: str, polygons: list[Polygon], decimals: int) -> dict | None:
    # Snap to the output grid with GEOS' precision reducer, which also returns a valid
    # geometry (plain rounding can make rings self-intersect; 110m Sudan already does).
    snapped = set_precision(make_valid(MultiPolygon(polygons)), 10.0**-decimals)
    parts = [
        [ring_coords(p.exterior.coords, decimals)]
        + [ring_coords(hole.coords, decimals) for hole in p.interiors]
        for p in (orient(p, 1.0) for p in _polygons(snapped) if not p.is_empty)
    ]  # orient: RFC 7946 counter-clockwise shells
    if not parts:
        return None
    geometry: dict = (
        {"type": "Polygon", "coordinates": parts[0]}
        if len(parts) == 1
        else {"type": "MultiPolygon", "coordinates": parts}
    )
    return {"type": "Feature", "properties": {"name": name}, "geometry": geometry}


def convert(topology: dict, decimals: int, tolerance: float) -> str:
    arcs = simplify_arcs(decode_arcs(topology), tolerance)
    lines = []
    for geom in topology["objects"]["countries"]["geometries"]:
        if geom.get("type") not in ("Polygon", "MultiPolygon"):
            continue
        spherical = [geom["arcs"]] if geom["type"] == "Polygon" else geom["arcs"]
        polygons: list[Polygon] = []
        for rings in spherical:
            polygons.extend(planar_polygons([assemble_ring(r, arcs) for r in rings]))
        feat = feature(geom["properties"]["name"], polygons, decimals)
        if feat is not None:
            lines.append(json.dumps(feat, separators=(",", ":"), ensure_ascii=False))
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source", type=Path, help="world-atlas npm tarball or folder")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument("--mesh", metavar="MEMBER:OBJECT",
                        help="write the interior borders of OBJECT in MEMBER instead, "
                        "e.g. states-10m.json:states (us-atlas)")
    parser.add_argument("--mesh-out", default="us-state-lines.geojson",
                        help="file name for --mesh (default: %(default)s)")
    args = parser.parse_args(argv)
    package = json.loads(read_member(args.source, "package.json"))
    print(f"source: npm {package['name']}@{package['version']}")
    args.out.mkdir(parents=True, exist_ok=True)
    if args.mesh:
        return write_mesh(args.source, args.mesh, args.out / args.mesh_out)
    for resolution, decimals in RESOLUTIONS.items():
        topology = json.loads(read_member(args.source, f"countries-{resolution}.json"))
        for tolerance in TOLERANCES:
            text = convert(topology, decimals, tolerance)
            if len(text.encode()) <= MAX_BYTES:
                break
        else:
            print(f"countries-{resolution}: still over {MAX_BYTES} bytes", file=sys.stderr)
            return 1
        target = args.out / f"countries-{resolution}.geojson"
        target.write_text(text, encoding="utf-8")
        count = text.count('"type":"Feature"')
        print(
            f"{target.name}: {count} features, {decimals} decimals, "
            f"simplify tolerance {tolerance} deg, {math.ceil(len(text.encode()) / 1024)} KiB"
        )
    return 0


def write_mesh(source: Path, spec: str, target: Path) -> int:
    member, _, object_name = spec.partition(":")
    topology = json.loads(read_member(source, member))
    for tolerance in TOLERANCES:
        text = convert_mesh(topology, object_name, MESH_DECIMALS, tolerance)
        if len(text.encode()) <= MESH_MAX_BYTES:
            break
    else:
        print(f"{target.name}: still over {MESH_MAX_BYTES} bytes", file=sys.stderr)
        return 1
    target.write_text(text, encoding="utf-8")
    print(
        f"{target.name}: {text.count('],[[') + 1} lines, {MESH_DECIMALS} decimals, "
        f"simplify tolerance {tolerance} deg, {len(text.encode())} bytes"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
