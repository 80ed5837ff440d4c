"""GDAL's driver allow-list (GDAL_SKIP) is set before any package can load GDAL: every module
that imports pyogrio, rasterio or geopandas (at its top or inside a function, as the export
writers do), imported first in a fresh interpreter, leaves only the reviewed vector drivers
registered; and the CLI reads a GeoJSON (it once failed closed)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from layers.gdal_safety import NO_NETWORK_OPTIONS
from tests.support.layer_files import write_claims_zip

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("domain", "store", "layers", "sites", "exports", "services", "mapping", "permits",
            "commands")
GEO_IMPORT = re.compile(
    r"^[ \t]*(?:import|from) (?:pyogrio|rasterio|geopandas|rio_tiler|rio_cogeo)\b", re.M)


def _fresh_env() -> dict[str, str]:
    """This environment without what layers.gdal_safety set in this test process (a child
    would otherwise inherit GDAL_SKIP however late it imported layers)."""
    return {k: v for k, v in os.environ.items()
            if k != "GDAL_SKIP" and k not in NO_NETWORK_OPTIONS}


def _geo_modules() -> list[str]:
    modules = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts or "pages" in path.parts:
                continue
            if GEO_IMPORT.search(path.read_text(encoding="utf-8")):
                modules.append(".".join(path.relative_to(ROOT).with_suffix("").parts))
    return modules


def test_the_scan_finds_the_geo_modules() -> None:
    found = _geo_modules()
    assert {"exports.formats", "layers.vector_layers", "mapping.web.layer_api"} <= set(found)


@pytest.mark.parametrize("module", _geo_modules())
def test_importing_a_geo_module_first_keeps_gdal_closed(module: str) -> None:
    code = (f"import {module}\nimport pyogrio\n"
            "from layers.gdal_safety import assert_vector_drivers_safe\n"
            "assert_vector_drivers_safe()\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_fresh_env(),
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-800:]


def test_the_command_line_reads_geojson_and_a_zipped_shapefile(tmp_path: Path) -> None:
    geojson = tmp_path / "claims.geojson"
    geojson.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", '
                       '"properties": {"name": "Claim 1"}, "geometry": {"type": "Point", '
                       '"coordinates": [-117.0, 41.5]}}]}', encoding="utf-8")
    for path in (geojson, write_claims_zip(tmp_path)):
        result = subprocess.run([sys.executable, "-m", "commands", "layers", "check", str(path)],
                                cwd=ROOT, env=_fresh_env(), capture_output=True, text=True,
                                timeout=120, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "can be published" in result.stdout
