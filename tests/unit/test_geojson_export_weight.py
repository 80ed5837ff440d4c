"""``GET /api/sites.geojson`` and ``.csv`` load no geopandas and no GDAL (pyogrio) in the app
process: the selection is a plain frame and shapely points (``layers.features.Features``), and
the GeoJSON and CSV writers are our own. geopandas alone costs about 14 MB in every process,
GDAL far more; only GeoPackage, KML, Shapefile and GeoParquet need them."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("geopandas", "pyogrio")

# Builds the file as the route does (mapping.export_files.sites_file, all sites as of today),
# then reports which heavy modules the process holds.
PROBE = f"""
import json, sys
from datetime import date
from pathlib import Path

from domain.access import OPEN_ACCESS
from exports.export_file import ExportFormat
from mapping.export_files import sites_file
from sites.filters import SiteFilter
from sites.selection import SiteSelection

fmt, out = ExportFormat(sys.argv[1]), Path(sys.argv[2])
file = sites_file(SiteSelection(SiteFilter(), date.today()), fmt, principal=OPEN_ACCESS)
out.write_bytes(file.data)
print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))
"""


def _export_in_a_fresh_process(fmt: str, tmp_path: Path) -> tuple[list[str], bytes]:
    """The heavy modules loaded by exporting all bundled sites in ``fmt``, and the file."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "PERMITMAP_DATA_DIR")}  # the bundled data, in SQLite
    env["PERMITMAP_DB_PATH"] = str(tmp_path / "store" / "permitmap.db")
    out = tmp_path / f"sites.{fmt}"
    result = subprocess.run([sys.executable, "-c", PROBE, fmt, str(out)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=180, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1]), out.read_bytes()


def _bundled_site_ids() -> set[str]:
    with (ROOT / "data" / "sites.csv").open(encoding="utf-8-sig", newline="") as sites:
        return {row["id"] for row in csv.DictReader(sites)}


def test_sites_geojson_loads_no_geopandas_or_gdal(tmp_path: Path) -> None:
    loaded, data = _export_in_a_fresh_process("geojson", tmp_path)
    assert loaded == [], f"serving sites.geojson loaded {', '.join(loaded)}"
    document = json.loads(data)
    assert document["type"] == "FeatureCollection" and next(iter(document)) == "marking"
    ids = [feature["id"] for feature in document["features"]]
    assert len(ids) == len(_bundled_site_ids()) and set(ids) == _bundled_site_ids()
    assert all(feature["type"] == "Feature" and set(feature) == {"type", "id", "geometry",
                                                                 "properties"}
               for feature in document["features"])
    assert any(feature["geometry"] and feature["geometry"]["type"] == "Point"
               for feature in document["features"])


def test_sites_csv_loads_no_geopandas_or_gdal(tmp_path: Path) -> None:
    loaded, data = _export_in_a_fresh_process("csv", tmp_path)
    assert loaded == [], f"serving sites.csv loaded {', '.join(loaded)}"
    marking, _, table = data.decode("utf-8-sig").partition("\n")
    assert marking == "# Handling marking: Public (public)"
    rows = list(csv.DictReader(io.StringIO(table)))
    assert {row["id"] for row in rows} == _bundled_site_ids()
    assert len(rows) == len(_bundled_site_ids())


def test_the_probe_sees_a_format_that_does_load_gdal(tmp_path: Path) -> None:
    loaded, data = _export_in_a_fresh_process("gpkg", tmp_path)
    assert loaded == list(HEAVY) and data.startswith(b"SQLite format 3")
