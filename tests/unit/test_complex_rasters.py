"""Complex-valued rasters (radar, InSAR: CInt16, CInt32, CFloat32, CFloat64) are published
as their amplitude |z| in a float band, the report says so, and their tiles draw."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import rasterio
import rasterio.shutil
from affine import Affine
from PIL import Image
from rio_tiler.constants import WEB_MERCATOR_TMS
from starlette.testclient import TestClient

from layers.preflight import inspect_upload
from mapping.web.routes import starlette_app
from tests.support.sqlite_publishing import publish, sqlite_setting

WEST, NORTH, STEP = -117.5, 39.5, 0.01  # a 0.64° × 0.48° grid in Nevada


def write_complex(path: Path, gdal_type: str) -> Path:
    """A 64 × 48 complex grid (3 + 4i at the first pixel) of one GDAL type; CInt32 has no
    rasterio name, so it is copied through a VRT that declares it."""
    values = (np.arange(64 * 48).reshape(48, 64) * 0.5 + 3) + 4j
    values[0, 0] = 3 + 4j
    dtype = {"CInt16": "complex_int16", "CFloat32": "complex64",
             "CFloat64": "complex128"}.get(gdal_type, "complex_int16")
    plain = path if gdal_type != "CInt32" else path.with_suffix(".cint16.tif")
    with rasterio.open(plain, "w", driver="GTiff", width=64, height=48, count=1, dtype=dtype,
                       crs="EPSG:4326", transform=Affine(STEP, 0, WEST, 0, -STEP, NORTH)) as out:
        out.write(values.astype("complex64"), 1)
    if gdal_type == "CInt32":
        vrt = (f'<VRTDataset rasterXSize="64" rasterYSize="48"><SRS>EPSG:4326</SRS>'
               f"<GeoTransform>{WEST},{STEP},0,{NORTH},0,-{STEP}</GeoTransform>"
               '<VRTRasterBand dataType="CInt32" band="1"><SimpleSource><SourceFilename '
               f'relativeToVRT="0">{plain}</SourceFilename><SourceBand>1</SourceBand>'
               "</SimpleSource></VRTRasterBand></VRTDataset>")
        with rasterio.open(vrt) as source:
            rasterio.shutil.copy(source, str(path), driver="GTiff")
        plain.unlink()
    return path


@pytest.mark.parametrize("gdal_type", ["CInt16", "CInt32", "CFloat32", "CFloat64"])
def test_complex_rasters_publish_as_amplitude_and_draw(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gdal_type: str) -> None:
    setting = sqlite_setting(tmp_path, monkeypatch)
    path = write_complex(setting["files"] / f"insar_{gdal_type}.tif", gdal_type)
    report = inspect_upload(path, path.name).report
    assert report.ok, report.errors
    assert report.raster is not None and report.raster.amplitude_of_complex
    assert "the layer shows their amplitude (|z|" in " ".join(report.notes)
    assert report.raster.stats[0].minimum == pytest.approx(5.0)  # |3 + 4i|
    assert report.raster.suggested_colormap == "gray"

    [record] = publish(setting, path)
    cog = setting["layer_dir"] / record.raster_file
    with rasterio.open(cog) as published:
        assert published.dtypes[0] in ("float32", "float64") and np.isnan(published.nodata)
        assert float(published.read(1)[0, 0]) == pytest.approx(5.0)
    assert list(cog.parent.glob("*.amplitude.tif")) == []  # the step file is gone
    tile = WEB_MERCATOR_TMS.tile(WEST + 0.3, NORTH - 0.2, 9)
    response = TestClient(starlette_app()).get(f"/tiles/{record.id}/9/{tile.x}/{tile.y}.png")
    assert response.status_code == 200
    image = Image.open(io.BytesIO(response.content)).convert("RGBA")
    assert image.getchannel("A").getextrema()[1] == 255
