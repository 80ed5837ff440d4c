"""What an app process loads to draw the map: no GDAL (geopandas, pyogrio, rasterio) until an
export or a raster layer asks for it. Each copy of GDAL costs about 40 MB in every process of
a shared deployment, which holds several."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("geopandas", "pyogrio", "rasterio", "rio_tiler", "fiona")


@pytest.mark.parametrize("module", ["mapping.cached", "mapping.web.routes",
                                    "mapping.parts.detail_panel", "mapping.parts.export_buttons",
                                    "store.deposit_views", "sites.selection",
                                    "exports.formats"])
def test_the_map_and_its_routes_load_no_gdal(module: str) -> None:
    probe = (f"import sys, {module}; "
             f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True, timeout=120)
    assert result.stdout.strip() == "", f"{module} loads {result.stdout.strip()}"


def test_the_probe_sees_a_module_that_does_load_gdal() -> None:
    probe = (f"import sys, layers.vector_read; "  # reading an upload needs GDAL
             f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True, timeout=120)
    assert "geopandas" in result.stdout
