"""``permitmap layers ...``: check an upload, publish it, list and remove survey layers, and
sample one at the sites or deposits."""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from commands.cli_principal import cli_principal, os_user
from domain.errors import InputError, NotFoundError
from domain.settings import load_settings
from layers.limits import UploadLimits
from layers.preflight import check_upload, refused_report
from layers.preflight_report import PreflightReport
from layers.shapefile_set import shapefile_siblings
from layers.staging import staged_paths
from layers.vector_read import VectorOptions
from services.layer_sampling import (
    DEFAULT_DISTANCE_KM,
    LayerSample,
    SampleAt,
    SampleRequest,
    sample_layer,
)
from services.publishing import LayerDetails, publish_upload, remove_layer
from store.layer_repo import get_layer, list_layers


def add_commands(groups: argparse._SubParsersAction, store: Callable[[], Engine]) -> None:
    """Register the ``layers`` command group; ``store`` returns the ready engine."""
    layers = groups.add_parser("layers", help="survey layers").add_subparsers(
        required=True, metavar="ACTION")
    check = layers.add_parser("check", help="pre-flight report of a file; stores nothing "
                                            "(exit 0: can be published, 1: cannot)")
    _file_options(check)
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.set_defaults(run=_check)
    pub = layers.add_parser("publish", help="check a file and add it to the layer catalog")
    _file_options(pub)
    pub.add_argument("--name", help="layer name (default: the file name)")
    pub.add_argument("--by", help="who is publishing it (default: your user name)")
    pub.add_argument("--description", default="")
    pub.add_argument("--source", default="", help="who made the survey, or where it came from")
    pub.add_argument("--licence", default="")
    pub.add_argument("--surveyed", type=date.fromisoformat, metavar="YYYY-MM-DD")
    pub.set_defaults(run=lambda a: _publish(a, store()))
    layers.add_parser("list", help="layers in the catalog").set_defaults(
        run=lambda a: _list(store()))
    rm = layers.add_parser("remove", help="delete a layer (and its raster file)")
    rm.add_argument("layer_id")
    rm.set_defaults(run=lambda a: _remove(a, store()))
    _sample_command(layers, store)


def _file_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path)
    parser.add_argument("--layer", action="append", metavar="NAME",
                        help="a layer inside the file to read (repeatable; default: the "
                             "usual choice for the format)")
    parser.add_argument("--crs", metavar="EPSG:CODE",
                        help="the coordinate system to use when the file states none")
    parser.add_argument("--no-repair", action="store_true",
                        help="do not repair invalid geometries")
    parser.add_argument("--drop-out-of-range", action="store_true",
                        help="leave out the features that cannot be drawn (coordinates out "
                             "of range, broken shapes)")
    parser.add_argument("--xy", metavar="X,Y", type=_column_pair,
                        help="a table's coordinate columns, when it has more than one pair "
                             "(e.g. --xy Long83,Lat83)")


def _column_pair(text: str) -> tuple[str, str]:
    x, sep, y = text.partition(",")
    if not sep or not x.strip() or not y.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not two column names X,Y "
                                         "(e.g. Long83,Lat83)")
    return x.strip(), y.strip()


def _options(args: argparse.Namespace) -> VectorOptions:
    return VectorOptions(layers=tuple(args.layer) if args.layer else None,
                         assume_crs=args.crs, repair_invalid=not args.no_repair,
                         drop_out_of_range=args.drop_out_of_range,
                         coordinate_columns=args.xy)


def _limits() -> UploadLimits:
    return UploadLimits.from_megabytes(load_settings().max_upload_mb)


@contextmanager
def _staged(path: Path) -> Iterator[Path]:
    """The file (a ``.shp`` with the parts beside it) copied into a private folder under a
    name the app chose: the path as typed (``-odd #1?.geojson``, ``GPKG:x.gpkg``) never
    reaches GDAL. Deleted on exit."""
    try:
        found = path.is_file()
    except OSError:  # e.g. a name longer than the file system allows
        found = False
    if not found:
        raise InputError(f"{path} does not exist or is not a file.")
    parts = shapefile_siblings(path) if path.suffix.lower() == ".shp" else [path]
    with staged_paths(parts, Path(tempfile.gettempdir()), _limits()) as staged:
        yield staged


def _check(args: argparse.Namespace) -> int:
    path: Path = args.file
    try:
        # inspect_upload turns any failure of the readers into a report error
        with _staged(path) as staged:
            report = check_upload(staged, path.name, _options(args), _limits())
    except InputError as exc:
        if not args.json:
            raise
        report = refused_report(path, path.name, str(exc))  # --json: always one JSON object
    if args.json:
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False, default=str))
    else:
        print(report_text(report))
    return 0 if report.ok else 1


def report_text(report: PreflightReport) -> str:
    """The report as lines of text for a terminal."""
    lines = [f"{report.file_name}: {report.format} ({report.kind}), "
             f"{report.size_bytes:,} bytes — "
             + ("can be published" if report.ok else "cannot be published as it is")]
    for layer in report.layers:
        types = ", ".join(f"{n:,} {t}" for t, n in layer.geometry_types.items()) or "none"
        lines.append(f"  layer {layer.name or '(the file)'}: {layer.feature_count:,} features "
                     f"({types}); CRS {layer.crs or 'not stated'}"
                     + (f"; encoding {layer.encoding}" if layer.encoding else ""))
        lines += [f"    could be {c.code} {c.name} ({c.where})" for c in layer.crs_candidates]
    if report.raster is not None:
        r = report.raster
        lines.append(f"  raster {r.width:,} x {r.height:,} px, {r.band_count} band(s) {r.dtype}, "
                     f"nodata {r.nodata}, CRS {r.crs or 'not stated'}, "
                     f"{'already a COG' if r.is_cog else 'not a COG (will be converted)'}")
        lines += [f"    band {s.band}: {s.minimum} to {s.maximum}, mean {s.mean}"
                  for s in r.stats]
        lines += [f"    could be {c.code} {c.name} ({c.where})" for c in r.crs_candidates]
    lines += [f"  error: {text}" for text in report.errors]
    lines += [f"  warning: {text}" for text in report.warnings]
    lines += [f"  note: {text}" for text in report.notes]
    return "\n".join(lines)


def _publish(args: argparse.Namespace, engine: Engine) -> int:
    path: Path = args.file
    details = LayerDetails(name=args.name or path.stem, uploaded_by=args.by or os_user(),
                           description=args.description, source=args.source,
                           licence=args.licence, surveyed_on=args.surveyed)
    with _staged(path) as staged:
        records = publish_upload(engine, staged, path.name, details, principal=cli_principal(),
                                 layer_dir=load_settings().layer_dir, options=_options(args),
                                 limits=_limits())
    for record in records:
        count = f"{record.feature_count:,} features" if record.kind == "vector" else "raster"
        print(f"published {record.id}: {record.name} ({count})")
    return 0


def _list(engine: Engine) -> int:
    for record in list_layers(engine):
        hidden = " (hidden)" if record.hidden else ""
        size = f"{record.feature_count:,} features" if record.kind == "vector" else "raster"
        print(f"{record.id}  {record.name}{hidden}  {size}  {record.original_filename}  "
              f"by {record.uploaded_by} {record.uploaded_at:%Y-%m-%d}")
    return 0


def _remove(args: argparse.Namespace, engine: Engine) -> int:
    record = remove_layer(engine, args.layer_id, load_settings().layer_dir,
                          principal=cli_principal())
    print(f"removed {record.id}: {record.name}")
    return 0


def _sample_command(layers: argparse._SubParsersAction, store: Callable[[], Engine]) -> None:
    sample = layers.add_parser(
        "sample", help="a layer at the sites or deposits: a raster's value at each (or its "
                       "min, max, mean and count of valid pixels within a radius or within "
                       "polygons), a vector layer's features near each")
    sample.add_argument("layer_id", metavar="LAYER", help="the layer's id (`layers list`)")
    sample.add_argument("--at", required=True, choices=[a.value for a in SampleAt],
                        help="the sites, the deposits near the layer's extent, or each "
                             "polygon of the --within layer (one row per polygon)")
    sample.add_argument("--radius-km", type=float, metavar="R",
                        help="raster: statistics within R km of each place")
    sample.add_argument("--within", metavar="POLYGON_LAYER",
                        help="raster: statistics within the polygons of this layer that "
                             "each place lies in (with --at polygons: within each polygon)")
    sample.add_argument("--distance-km", type=float, metavar="D",
                        help="vector: the features within D km of each place (default "
                             f"{DEFAULT_DISTANCE_KM:g})")
    sample.add_argument("--band", type=int, default=1, help="the band of a multi-band raster")
    sample.add_argument("--json", action="store_true", help="print one JSON object")
    sample.set_defaults(run=lambda a: _sample(a, store()))


def _sample(args: argparse.Namespace, engine: Engine) -> int:
    principal = cli_principal()
    for layer_id in (args.layer_id, args.within):
        if layer_id is not None:
            _known_layer(engine, layer_id)
    request = SampleRequest(args.layer_id, SampleAt(args.at), radius_km=args.radius_km,
                            within=args.within, distance_km=args.distance_km, band=args.band)
    result = sample_layer(engine, request, load_settings().layer_dir, principal=principal)
    if args.json:
        print(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    else:
        print(sample_text(result))
    return 0


def _known_layer(engine: Engine, layer_id: str) -> None:
    try:
        get_layer(engine, layer_id, cli_principal())
    except NotFoundError:
        raise InputError(f"No survey layer has id {layer_id!r}; `permitmap layers list` "
                         "shows the ids of the layers there are.") from None


def sample_text(result: LayerSample) -> str:
    """The sampling as lines for a terminal: what was sampled, its marking, the table."""
    head = (f"{result.layer.name} ({result.layer.id}) at {len(result.rows):,} "
            f"{result.request.at}: {result.mode}; marking: {result.marking}")
    if result.rows.empty:
        return f"{head}\n(no {result.request.at} to sample)"
    return f"{head}\n{result.rows.to_string(index=False, na_rep='')}"
