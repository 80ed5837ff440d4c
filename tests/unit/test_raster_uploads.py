"""Raster uploads: pre-flight check, COG conversion, map tiles; fixtures built in code, then
the real files in ../shared/realdata/rasters and bad/."""

from __future__ import annotations

import contextlib
import io
import math
import socket
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import rasterio
from PIL import Image
from rasterio.enums import ColorInterp
from rasterio.transform import from_origin
from rio_cogeo.cogeo import cog_validate
from rio_tiler.colormap import cmap
from rio_tiler.constants import WEB_MERCATOR_TMS

from layers.cog import overview_count, write_cog
from layers.errors import UnreadableLayer, UnsafeFile, UnsupportedFormat
from layers.limits import UploadLimits
from layers.preflight_report import PreflightReport
from layers.raster_check import check_raster, open_upload
from layers.tiles import COLORMAPS, RasterStyle, legend_colours, raster_bounds, render_tile
from layers.upload_formats import FileFormat, IdentifiedUpload, LayerKind

# A grid in Nevada in lon/lat, 0.001° pixels.
NEVADA = from_origin(-117.0, 39.0, 0.001, 0.001)


def source(path: Path, fmt: FileFormat = FileFormat.GEOTIFF,
           gdal_path: str | None = None) -> IdentifiedUpload:
    return IdentifiedUpload(path=path, name=path.name, format=fmt, gdal_path=gdal_path or str(path),
                  size_bytes=path.stat().st_size, checksum="test")


def write_tif(path: Path, data: np.ndarray, *, crs: str | None = "EPSG:4326",
              transform=NEVADA, nodata: float | None = None, **options) -> Path:
    if data.ndim == 2:
        data = data[None]
    profile = {"driver": "GTiff", "width": data.shape[2], "height": data.shape[1],
               "count": data.shape[0], "dtype": str(data.dtype), "transform": transform,
               **options}
    if crs is not None:
        profile["crs"] = crs
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
    return path


def smooth(height: int, width: int, low: float, high: float) -> np.ndarray:
    ys, xs = np.mgrid[0:height, 0:width]
    wave = (np.sin(xs / 37.0) + np.cos(ys / 23.0) + 2) / 4
    return low + (high - low) * wave


def decode(png: bytes | None) -> np.ndarray:
    assert png is not None
    image = Image.open(io.BytesIO(png))
    assert image.size == (256, 256)
    return np.asarray(image.convert("RGBA"))


def centre_tile(path: Path, z: int) -> tuple[int, int, int]:
    west, south, east, north = raster_bounds(path)
    tile = WEB_MERCATOR_TMS.tile((west + east) / 2, (south + north) / 2, z)
    return tile.z, tile.x, tile.y


# --- fixtures built in code ----------------------------------------------------------------


@pytest.fixture
def float_nan(tmp_path: Path) -> Path:
    """Magnetics-like float32 grid, NaN declared as nodata, the left 40 columns NaN."""
    data = smooth(300, 400, -250.0, 400.0).astype("float32")
    data[:, :40] = np.nan
    return write_tif(tmp_path / "mag.tif", data, nodata=math.nan, tiled=True,
                     blockxsize=256, blockysize=256)


@pytest.fixture
def float_nan_undeclared(tmp_path: Path) -> Path:
    """Float32 with NaN cells but no nodata value declared."""
    data = smooth(300, 400, 10.0, 20.0).astype("float32")
    data[:100, :] = np.nan
    return write_tif(tmp_path / "grav.tif", data)


@pytest.fixture
def dem_int16(tmp_path: Path) -> Path:
    """Elevation in metres, int16, -32768 nodata in the top 30 rows."""
    data = smooth(500, 600, 1200.0, 2800.0).astype("int16")
    data[:30, :] = -32768
    return write_tif(tmp_path / "dem.tif", data, nodata=-32768)


@pytest.fixture
def rgb(tmp_path: Path) -> Path:
    data = np.stack([smooth(256, 300, 0, 255), smooth(256, 300, 255, 0),
                     np.full((256, 300), 128.0)]).astype("uint8")
    return write_tif(tmp_path / "photo.tif", data, photometric="RGB")


@pytest.fixture
def striped(tmp_path: Path) -> Path:
    data = smooth(1200, 1500, -100.0, 900.0).astype("float32")
    path = write_tif(tmp_path / "striped.tif", data, nodata=-9999.0)
    with rasterio.open(path) as dataset:
        assert dataset.block_shapes[0][0] < 64 and not dataset.profile.get("tiled")
    return path


@pytest.fixture
def hgt_zip(tmp_path: Path) -> Path:
    """An SRTM 3 arc-second tile N37W122 (1201 × 1201 big-endian int16) in a zip."""
    heights = smooth(1201, 1201, 0.0, 1200.0).astype(">i2")
    heights[:5, :5] = -32768  # SRTM voids
    zipped = tmp_path / "N37W122.hgt.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("N37W122.hgt", heights.tobytes())
    return zipped


def hgt_source(zipped: Path) -> IdentifiedUpload:
    return source(zipped, FileFormat.SRTM_HGT, f"/vsizip/{zipped}/N37W122.hgt")


@pytest.fixture
def huge_header(tmp_path: Path) -> Path:
    """A GeoTIFF declaring 1,000,000 × 1,000,000 pixels in under a kB (ten sparse strips)."""
    path = tmp_path / "huge.tif"
    with rasterio.open(path, "w", driver="GTiff", width=1_000_000, height=1_000_000, count=1,
                       dtype="uint8", crs="EPSG:4326", transform=from_origin(-120, 40, 1e-5,
                                                                             1e-5),
                       blockysize=100_000, sparse_ok=True, compress="deflate", bigtiff="yes"):
        pass
    return path


@pytest.fixture
def vrt_renamed(tmp_path: Path, dem_int16: Path) -> Path:
    """A raster VRT renamed .tif whose source is a local file."""
    path = tmp_path / "innocent.tif"
    path.write_text(
        '<VRTDataset rasterXSize="600" rasterYSize="500">'
        '<VRTRasterBand dataType="Int16" band="1"><SimpleSource>'
        f'<SourceFilename relativeToVRT="0">{dem_int16}</SourceFilename>'
        "<SourceBand>1</SourceBand></SimpleSource></VRTRasterBand></VRTDataset>")
    return path


# --- check_raster ----------------------------------------------------------------------------


def test_float_grid_with_nan_nodata(float_nan: Path) -> None:
    report = check_raster(source(float_nan))
    assert report.ok, report.errors
    assert report.kind is LayerKind.RASTER and report.format == "GeoTIFF"
    raster = report.raster
    assert raster is not None
    assert (raster.width, raster.height, raster.band_count, raster.dtype) == (400, 300, 1,
                                                                                "float32")
    assert raster.nodata is not None and math.isnan(raster.nodata)
    assert raster.crs == "EPSG:4326" and raster.crs_name == "WGS 84"
    assert raster.bounds == pytest.approx((-117.0, 38.7, -116.6, 39.0))
    stats = raster.stats[0]
    assert stats.valid_fraction == pytest.approx(0.9)
    assert -250 <= stats.minimum < stats.p2 < stats.p98 < stats.maximum <= 400
    assert raster.suggested_stretch == (stats.p2, stats.p98)
    assert raster.suggested_colormap == "viridis"
    assert raster.is_cog is True  # tiled and under 512 px: no overviews needed


def test_nan_without_declared_nodata_is_said(float_nan_undeclared: Path) -> None:
    report = check_raster(source(float_nan_undeclared))
    assert report.ok, report.errors
    assert report.raster is not None and math.isnan(report.raster.nodata or 0.0)
    assert any("NaN" in note for note in report.notes)
    assert report.raster.stats[0].valid_fraction == pytest.approx(2 / 3)


def test_int16_elevation_gets_terrain(dem_int16: Path) -> None:
    report = check_raster(source(dem_int16))
    assert report.ok, report.errors
    raster = report.raster
    assert raster is not None
    assert raster.dtype == "int16" and raster.nodata == -32768
    assert raster.stats[0].minimum >= 1200  # the nodata rows are left out
    assert raster.stats[0].valid_fraction == pytest.approx(470 / 500)
    assert raster.suggested_colormap == "terrain"


def test_rgb_imagery_has_no_stretch(rgb: Path) -> None:
    report = check_raster(source(rgb))
    assert report.ok, report.errors
    assert report.raster is not None
    assert report.raster.band_count == 3
    assert report.raster.suggested_colormap is None
    assert report.raster.suggested_stretch is None
    assert [s.band for s in report.raster.stats] == [1, 2, 3]


def test_single_band_byte_gets_gray(tmp_path: Path) -> None:
    path = write_tif(tmp_path / "hill.tif", smooth(200, 200, 0, 255).astype("uint8"))
    report = check_raster(source(path))
    assert report.raster is not None and report.raster.suggested_colormap == "gray"


def test_striped_is_not_cog_until_written(striped: Path, tmp_path: Path) -> None:
    report = check_raster(source(striped))
    assert report.ok and report.raster is not None and report.raster.is_cog is False
    assert any("cloud-optimized" in note for note in report.notes)
    cog = tmp_path / "out" / "striped.cog.tif"
    cog.parent.mkdir()
    write_cog(source(striped), cog)
    assert cog_validate(str(cog), quiet=True)[0]
    with rasterio.open(cog) as dataset:
        assert dataset.block_shapes[0] == (512, 512)
        assert dataset.overviews(1) == [2, 4, 8]  # 1500 px down to 188 px
        assert dataset.nodata == -9999.0
        assert dataset.profile["compress"] == "zstd"
    again = check_raster(source(cog))
    assert again.raster is not None and again.raster.is_cog is True
    assert again.raster.stats[0].p2 == pytest.approx(report.raster.stats[0].p2, rel=0.05)


def test_srtm_hgt_in_a_zip(hgt_zip: Path, tmp_path: Path) -> None:
    gdal_path = f"/vsizip/{hgt_zip}/N37W122.hgt"
    with rasterio.open(gdal_path, driver="SRTMHGT") as dataset:
        assert (dataset.width, dataset.height, dataset.dtypes[0]) == (1201, 1201, "int16")
    report = check_raster(hgt_source(hgt_zip))
    assert report.ok, report.errors
    raster = report.raster
    assert raster is not None
    assert (raster.width, raster.height, raster.nodata) == (1201, 1201, -32768)
    assert raster.crs == "EPSG:4326"
    assert raster.bounds == pytest.approx((-122.0, 37.0, -121.0, 38.0), abs=0.001)
    assert raster.suggested_colormap == "terrain"
    assert raster.is_cog is False
    cog = tmp_path / "srtm.tif"
    write_cog(hgt_source(hgt_zip), cog)
    with rasterio.open(cog) as dataset:
        assert dataset.nodata == -32768 and dataset.crs.to_epsg() == 4326
        assert dataset.read(1, window=((0, 2), (0, 2))).tolist() == [[-32768] * 2] * 2
    pixels = decode(render_tile(cog, *centre_tile(cog, 9), RasterStyle("terrain", (0, 1200))))
    assert (pixels[..., 3] == 255).mean() > 0.5


def test_progress_goes_from_zero_to_one(dem_int16: Path, tmp_path: Path) -> None:
    seen: list[tuple[float, str]] = []
    check_raster(source(dem_int16), progress=lambda f, t: seen.append((f, t)))
    assert seen[0][0] == 0.0 and seen[-1][0] == 1.0 and len(seen) >= 4
    assert [f for f, _ in seen] == sorted(f for f, _ in seen)
    seen.clear()
    write_cog(source(dem_int16), tmp_path / "dem.cog.tif",
              progress=lambda f, t: seen.append((f, t)))
    assert seen[0][0] == 0.0 and seen[-1][0] == 1.0 and len(seen) >= 3


# --- coordinate systems ----------------------------------------------------------------------


def test_no_crs_in_lon_lat_range_offers_geographic(tmp_path: Path) -> None:
    path = write_tif(tmp_path / "nocrs.tif", smooth(100, 100, 0, 1).astype("float32"),
                     crs=None)
    report = check_raster(source(path))
    assert not report.ok
    assert any("no coordinate system" in e for e in report.errors)
    assert report.raster is not None and report.raster.crs is None
    codes = [c.code for c in report.raster.crs_candidates]
    assert codes[:2] == ["EPSG:4326", "EPSG:4269"]


def test_no_crs_in_metres_offers_utm_and_uses_the_assumed_one(tmp_path: Path) -> None:
    path = write_tif(tmp_path / "utm.tif", smooth(200, 300, 0, 100).astype("float32"),
                     crs=None, transform=from_origin(400_000, 4_300_000, 30, 30))
    report = check_raster(source(path))
    codes = [c.code for c in report.raster.crs_candidates] if report.raster else []
    assert "EPSG:32611" in codes and "EPSG:4326" not in codes
    zone_11 = next(c for c in report.raster.crs_candidates if c.code == "EPSG:32611")
    assert zone_11.name == "WGS 84 / UTM zone 11N" and zone_11.where
    with pytest.raises(UnreadableLayer, match="no coordinate system"):
        write_cog(source(path), tmp_path / "no.tif")

    chosen = check_raster(source(path), assume_crs="EPSG:32611")
    assert chosen.ok, chosen.errors
    assert chosen.raster is not None and chosen.raster.crs == "EPSG:32611"
    west, south, east, north = chosen.raster.bounds or (0, 0, 0, 0)
    assert -118.5 < west < east < -117 and 38 < south < north < 39.5
    cog = tmp_path / "utm.cog.tif"
    write_cog(source(path), cog, assume_crs="EPSG:32611")
    with rasterio.open(cog) as dataset:
        assert dataset.crs.to_epsg() == 32611
        assert dataset.transform == from_origin(400_000, 4_300_000, 30, 30)
        assert dataset.read(1)[5, 7] == pytest.approx(
            smooth(200, 300, 0, 100).astype("float32")[5, 7])


def test_assumed_crs_that_is_not_a_crs(tmp_path: Path) -> None:
    path = write_tif(tmp_path / "nocrs.tif", smooth(50, 50, 0, 1).astype("float32"), crs=None)
    report = check_raster(source(path), assume_crs="EPSG:999999")
    assert any("not a coordinate system code" in e for e in report.errors)


def test_crs_in_the_file_wins_over_the_assumed_one(dem_int16: Path) -> None:
    report = check_raster(source(dem_int16), assume_crs="EPSG:32611")
    assert report.ok and report.raster is not None and report.raster.crs == "EPSG:4326"
    assert any("was not used" in w for w in report.warnings)


def test_no_georeferencing_at_all(tmp_path: Path) -> None:
    path = tmp_path / "picture.tif"
    with rasterio.open(path, "w", driver="GTiff", width=64, height=64, count=1,
                       dtype="uint8") as dst:
        dst.write(np.ones((1, 64, 64), "uint8"))
    report = check_raster(source(path))
    assert any("no georeferencing" in e for e in report.errors)
    assert report.raster is not None and report.raster.crs_candidates == []


# --- security ----------------------------------------------------------------------------------


def test_vrt_renamed_tif_is_refused_by_gdal(vrt_renamed: Path) -> None:
    with rasterio.open(vrt_renamed) as dataset:  # without the allow-list GDAL would read it
        assert dataset.driver == "VRT"
    report = check_raster(source(vrt_renamed))
    assert not report.ok and report.raster is None
    assert "could not be opened as a GeoTIFF" in report.errors[0]
    with pytest.raises(UnreadableLayer), open_upload(source(vrt_renamed)):
        pass
    with pytest.raises(UnreadableLayer):
        write_cog(source(vrt_renamed), vrt_renamed.with_name("out.tif"))


def test_huge_declared_dimensions_are_refused_before_reading(huge_header: Path,
                                                             tmp_path: Path) -> None:
    assert huge_header.stat().st_size < 4_000
    started = time.perf_counter()
    report = check_raster(source(huge_header))
    assert time.perf_counter() - started < 5
    assert not report.ok
    assert "1,000,000 × 1,000,000 pixels" in report.errors[0]
    assert "limit of 2,000,000,000" in report.errors[0]
    assert report.raster is not None and report.raster.stats == []
    with pytest.raises(UnsafeFile, match="over the limit"):
        write_cog(source(huge_header), tmp_path / "huge.cog.tif")
    assert not (tmp_path / "huge.cog.tif").exists()


def test_declared_size_far_beyond_the_file_is_refused(tmp_path: Path) -> None:
    """Under the pixel limit but 6.4 GB of float32 declared in a few kB."""
    path = tmp_path / "bomb.tif"
    with rasterio.open(path, "w", driver="GTiff", width=40_000, height=40_000, count=1,
                       dtype="float32", crs="EPSG:4326",
                       transform=from_origin(-120, 40, 1e-5, 1e-5), tiled=True,
                       sparse_ok=True, compress="deflate", bigtiff="yes"):
        pass
    report = check_raster(source(path))
    assert "decompression bomb" in report.errors[0]
    roomy = UploadLimits(max_unzipped_bytes=10 * 1024**3)
    assert not any("bomb" in e for e in check_raster(source(path), limits=roomy).errors)


def test_lower_pixel_limit_applies(dem_int16: Path) -> None:
    report = check_raster(source(dem_int16), limits=UploadLimits(max_raster_pixels=100_000))
    assert "over the limit of 100,000" in report.errors[0]


def test_no_network_paths(tmp_path: Path) -> None:
    """A /vsicurl/ path is refused and nothing connects to the listening server."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.5)
    port = server.getsockname()[1]
    accepted: list[object] = []

    def accept() -> None:
        with contextlib.suppress(OSError):  # the timeout: nobody came
            accepted.append(server.accept())

    waiter = threading.Thread(target=accept)
    waiter.start()
    local = write_tif(tmp_path / "x.tif", np.zeros((8, 8), "uint8"))
    try:
        for gdal_path in (f"/vsicurl/http://127.0.0.1:{port}/x.tif",
                          f"/vsizip/{{/vsicurl/http://127.0.0.1:{port}/x.zip}}/x.tif",
                          f"vrt://{local}?a_srs=EPSG:4326"):
            report = check_raster(source(local, gdal_path=gdal_path))
            assert not report.ok and "only files on this server" in report.errors[0]
            with pytest.raises(UnsafeFile):
                write_cog(source(local, gdal_path=gdal_path), tmp_path / "out.tif")
    finally:
        waiter.join()
        server.close()
    assert accepted == []


def test_vector_format_is_not_a_raster(dem_int16: Path) -> None:
    report = check_raster(source(dem_int16, FileFormat.GEOJSON))
    assert "not a raster format" in report.errors[0]
    with pytest.raises(UnsupportedFormat):
        write_cog(source(dem_int16, FileFormat.GEOJSON), dem_int16.with_name("o.tif"))


# --- broken content ------------------------------------------------------------------------------


def test_every_pixel_nodata_is_an_error(tmp_path: Path) -> None:
    path = write_tif(tmp_path / "empty.tif", np.zeros((3, 40, 50), "uint16"), nodata=0)
    report = check_raster(source(path))
    assert not report.ok
    assert "Every pixel is marked as no data (nodata value 0)" in report.errors[0]


def test_truncated_tile_data(tmp_path: Path, float_nan: Path) -> None:
    """A tiled file cut short: the header opens, the pixels do not."""
    data = float_nan.read_bytes()
    with rasterio.open(float_nan) as dataset:
        assert dataset.profile["tiled"]
    cut = tmp_path / "cut.tif"
    cut.write_bytes(data[: len(data) // 3])
    report = check_raster(source(cut))
    assert not report.ok
    assert any("pixel data is damaged" in e for e in report.errors), report.errors
    with pytest.raises(UnreadableLayer, match="pixel data is damaged"):
        write_cog(source(cut), tmp_path / "cut.cog.tif")
    assert not (tmp_path / "cut.cog.tif").exists()


def test_report_serialises(float_nan: Path) -> None:
    body = check_raster(source(float_nan)).to_json()
    assert body["ok"] is True and body["kind"] == "raster"
    assert body["raster"]["width"] == 400 and body["raster"]["stats"][0]["band"] == 1


# --- COG --------------------------------------------------------------------------------------


def test_cog_keeps_nan_nodata(float_nan: Path, float_nan_undeclared: Path,
                              tmp_path: Path) -> None:
    for path in (float_nan, float_nan_undeclared):
        cog = tmp_path / f"{path.stem}.cog.tif"
        write_cog(source(path), cog)
        assert cog_validate(str(cog), quiet=True)[0]
        with rasterio.open(cog) as dataset:
            assert dataset.nodata is not None and math.isnan(dataset.nodata)
            masked = dataset.read(1, masked=True)
            with rasterio.open(path) as original:
                assert int(masked.mask.sum()) == int(np.isnan(original.read(1)).sum())


def test_cog_of_rgb_keeps_bands_and_of_cog_is_written(rgb: Path, tmp_path: Path) -> None:
    first = tmp_path / "a.tif"
    write_cog(source(rgb), first)
    second = tmp_path / "b.tif"
    write_cog(source(first), second)
    with rasterio.open(first) as a, rasterio.open(second) as b:
        assert a.count == b.count == 3
        assert np.array_equal(a.read(), b.read())
    assert cog_validate(str(second), quiet=True)[0]


def test_overview_count() -> None:
    assert overview_count(11_200, 11_200) == 6
    assert overview_count(256, 100) == 0
    assert overview_count(257, 100) == 1


# --- tiles -----------------------------------------------------------------------------------


@pytest.fixture
def mag_cog(float_nan: Path, tmp_path: Path) -> Path:
    cog = tmp_path / "mag.cog.tif"
    write_cog(source(float_nan), cog)
    return cog


def test_tile_is_a_png_with_transparent_nodata(mag_cog: Path) -> None:
    # z10 tile over the raster's west edge: NaN columns and land outside are transparent.
    tile = WEB_MERCATOR_TMS.tile(-117.0, 38.85, 10)
    pixels = decode(render_tile(mag_cog, tile.z, tile.x, tile.y, RasterStyle()))
    alpha = pixels[..., 3]
    assert (alpha == 0).any() and (alpha == 255).any()
    assert set(np.unique(alpha)) <= {0, 255}


def test_tile_outside_is_none(mag_cog: Path) -> None:
    tile = WEB_MERCATOR_TMS.tile(10.0, 50.0, 10)
    assert render_tile(mag_cog, tile.z, tile.x, tile.y, RasterStyle()) is None
    assert render_tile(mag_cog, 3, 99, 0, RasterStyle()) is None


def test_colormap_and_stretch_change_the_picture(mag_cog: Path) -> None:
    z, x, y = centre_tile(mag_cog, 11)
    viridis = decode(render_tile(mag_cog, z, x, y, RasterStyle("viridis", (-250, 400))))
    magma = decode(render_tile(mag_cog, z, x, y, RasterStyle("magma", (-250, 400))))
    narrow = decode(render_tile(mag_cog, z, x, y, RasterStyle("viridis", (0, 10))))
    opaque = viridis[..., 3] == 255
    assert opaque.mean() > 0.5
    assert not np.array_equal(viridis[opaque], magma[opaque])
    assert not np.array_equal(viridis[opaque], narrow[opaque])
    ramp = {tuple(c[:3]) for c in cmap.get("viridis").values()}
    assert {tuple(p) for p in viridis[opaque][::97, :3]} <= ramp


def test_rgb_tile_and_band_choice(rgb: Path, tmp_path: Path) -> None:
    cog = tmp_path / "rgb.cog.tif"
    write_cog(source(rgb), cog)
    z, x, y = centre_tile(cog, 12)
    colour = decode(render_tile(cog, z, x, y, RasterStyle(colormap=None)))
    assert (colour[..., 3] == 255).mean() > 0.3
    opaque = colour[..., 3] == 255
    assert (colour[opaque][:, 2] == 128).all()  # band 3 is a constant 128, shown unstretched
    swapped = decode(render_tile(cog, z, x, y, RasterStyle(colormap=None, bands=(3, 2, 1))))
    assert (swapped[opaque][:, 0] == 128).all()
    with pytest.raises(ValueError, match="bands"):
        render_tile(cog, z, x, y, RasterStyle(colormap=None, bands=(4, 2, 1)))
    with pytest.raises(ValueError, match="unknown colour map"):
        render_tile(cog, z, x, y, RasterStyle(colormap="no-such-ramp"))


def test_rgba_alpha_band_is_transparency(tmp_path: Path) -> None:
    data = np.full((4, 256, 300), 200, "uint8")
    data[3, :, :150] = 0  # the western half is transparent
    path = write_tif(tmp_path / "rgba.tif", data, photometric="RGB", alpha="YES")
    with rasterio.open(path) as dataset:
        assert dataset.colorinterp[3] == ColorInterp.alpha
    report = check_raster(source(path))
    assert report.ok and report.raster is not None
    assert report.raster.suggested_colormap is None
    assert report.raster.stats[0].valid_fraction == pytest.approx(0.5)
    cog = tmp_path / "rgba.cog.tif"
    write_cog(source(path), cog)
    west, south, east, north = raster_bounds(cog)
    tile = WEB_MERCATOR_TMS.tile(west + (east - west) / 2, (south + north) / 2, 9)
    pixels = decode(render_tile(cog, tile.z, tile.x, tile.y, RasterStyle(colormap=None)))
    opaque = pixels[..., 3] == 255
    assert 0 < opaque.mean() < 0.5  # only the eastern half of the raster shows
    assert (pixels[opaque][:, :3] == 200).all()


def test_republished_file_is_reread(tmp_path: Path) -> None:
    cog = tmp_path / "layer.tif"
    write_cog(source(write_tif(tmp_path / "a.tif", np.full((300, 300), 10.0, "float32"))), cog)
    z, x, y = centre_tile(cog, 12)
    style = RasterStyle("gray", (0, 100))
    before = decode(render_tile(cog, z, x, y, style))
    staged = tmp_path / "staged.tif"
    write_cog(source(write_tif(tmp_path / "b.tif", np.full((300, 300), 90.0, "float32"))),
              staged)
    staged.replace(cog)
    after = decode(render_tile(cog, z, x, y, style))
    opaque = before[..., 3] == 255
    assert before[opaque][:, 0].max() < after[opaque][:, 0].min()


def test_tiles_from_many_threads_match(mag_cog: Path) -> None:
    z = 11
    west, south, east, north = raster_bounds(mag_cog)
    tiles = sorted({(WEB_MERCATOR_TMS.tile(lon, lat, z).x, WEB_MERCATOR_TMS.tile(lon, lat, z).y)
                    for lon in np.linspace(west, east, 6) for lat in np.linspace(south, north, 6)})
    style = RasterStyle("viridis", (-250, 400))
    serial = [render_tile(mag_cog, z, x, y, style) for x, y in tiles]
    with ThreadPoolExecutor(8) as pool:
        threaded = list(pool.map(lambda t: render_tile(mag_cog, z, t[0], t[1], style),
                                 tiles * 4))
    assert threaded == serial * 4


def test_legend_and_colormap_names() -> None:
    assert set(COLORMAPS) <= set(cmap.list())
    assert {"viridis", "terrain", "gray"} <= set(COLORMAPS)
    colours = legend_colours("viridis")
    assert len(colours) == 9 and colours[0] == "#440154" and colours[-1] == "#fde724"
    assert all(len(c) == 7 and c.startswith("#") for c in colours)
    assert legend_colours("gray", 2) == ["#000000", "#ffffff"]


def test_raster_bounds(mag_cog: Path) -> None:
    assert raster_bounds(mag_cog) == pytest.approx((-117.0, 38.7, -116.6, 39.0))


# --- real files ---------------------------------------------------------------------------------

# name: (width, height, bands, dtype, nodata, crs, already a COG), per SOURCES.md and measured
REAL_RASTERS = {
    "RGB.byte.tif": (791, 718, 3, "uint8", 0.0, "EPSG:32618", False),
    "shade.tif": (1024, 1024, 1, "uint8", 255.0, "EPSG:3857", False),
    "rasterio_cogeo.tif": (1024, 1024, 3, "uint8", None, "EPSG:3857", True),
    "float_raster_with_nodata.tif": (13, 12, 1, "float32", -3.4e38, "IGNF:ETRS89LAEA", True),
    "world.byte.tif": (2880, 1200, 1, "uint8", None, "EPSG:4326", True),
    "usgs_tempest_mag_aligned.tif": (363, 770, 1, "float32", -999999.0, "EPSG:5070", False),
}


def check_file_report(report: PreflightReport, expected: tuple) -> None:
    width, height, bands, dtype, nodata, crs, is_cog = expected
    raster = report.raster
    assert raster is not None
    assert (raster.width, raster.height, raster.band_count, raster.dtype) == (width, height,
                                                                                bands, dtype)
    assert raster.nodata == (pytest.approx(nodata, rel=1e-6) if nodata else nodata)
    assert raster.crs == crs and raster.is_cog is is_cog
    assert raster.bounds is not None


@pytest.mark.realdata
@pytest.mark.parametrize("name", sorted(REAL_RASTERS))
def test_real_raster(realdata_dir: Path, tmp_path: Path, name: str) -> None:
    path = realdata_dir / "rasters" / name
    assert {p.name for p in (realdata_dir / "rasters").iterdir()} == set(REAL_RASTERS)
    report = check_raster(source(path))
    assert report.ok, report.errors
    check_file_report(report, REAL_RASTERS[name])
    raster = report.raster
    assert raster is not None and raster.stats and raster.stats[0].valid_fraction > 0
    cog = tmp_path / "published.tif"
    write_cog(source(path), cog)
    assert cog_validate(str(cog), quiet=True)[0]
    with rasterio.open(cog) as out, rasterio.open(path) as original:
        assert (out.width, out.height, out.count) == (original.width, original.height,
                                                      original.count)
        assert out.crs == original.crs
        assert max(out.width, out.height) // (out.overviews(1) or [1])[-1] <= 512
    from rio_tiler.io import Reader

    with Reader(str(cog)) as reader:
        zoom = reader.maxzoom
    style = RasterStyle(raster.suggested_colormap, raster.suggested_stretch)
    pixels = decode(render_tile(cog, *centre_tile(cog, zoom), style))
    assert (pixels[..., 3] > 0).any()


@pytest.mark.realdata
def test_real_tempest_magnetics_figures(realdata_dir: Path) -> None:
    report = check_raster(source(realdata_dir / "rasters" / "usgs_tempest_mag_aligned.tif"))
    raster = report.raster
    assert raster is not None and raster.crs_name == "NAD83 / Conus Albers"
    assert raster.suggested_colormap == "viridis"
    west, south, east, north = raster.bounds or (0, 0, 0, 0)
    assert -94 < west < east < -88 and 30 < south < north < 38
    low, high = raster.suggested_stretch or (0, 0)
    assert low < 0 < high


@pytest.mark.realdata
def test_real_rgb_and_shade_styles(realdata_dir: Path) -> None:
    rgb = check_raster(source(realdata_dir / "rasters" / "RGB.byte.tif")).raster
    assert rgb is not None and rgb.suggested_colormap is None and rgb.suggested_stretch is None
    shade = check_raster(source(realdata_dir / "rasters" / "shade.tif")).raster
    assert shade is not None and shade.suggested_colormap == "gray"


@pytest.mark.realdata
def test_real_corrupt_tif(realdata_dir: Path, tmp_path: Path) -> None:
    path = realdata_dir / "bad" / "corrupt.tif"
    report = check_raster(source(path))
    assert not report.ok
    assert len(report.errors) == 1 and "pixel data is damaged" in report.errors[0]
    assert "Re-export" in report.errors[0]
    with pytest.raises(UnreadableLayer, match="pixel data is damaged"):
        write_cog(source(path), tmp_path / "corrupt.cog.tif")
    assert not (tmp_path / "corrupt.cog.tif").exists()


@pytest.mark.realdata
def test_real_all_nodata_tif(realdata_dir: Path) -> None:
    report = check_raster(source(realdata_dir / "bad" / "all-nodata.tif"))
    assert not report.ok
    assert "Every pixel is marked as no data" in report.errors[0]
    assert report.raster is not None and report.raster.crs == "EPSG:32628"
    assert [s.valid_fraction for s in report.raster.stats] == [0.0] * 4


@pytest.mark.realdata
def test_real_vrt_is_refused(realdata_dir: Path) -> None:
    path = realdata_dir / "bad" / "white-gemini-iv.vrt"
    report = check_raster(source(path))
    assert not report.ok and "could not be opened as a GeoTIFF" in report.errors[0]
    with pytest.raises(UnreadableLayer), open_upload(source(path)):
        pass


@pytest.mark.parametrize(("bands", "interleave"), [(1, "band"), (3, "pixel")])
def test_raster_stored_in_one_huge_block_is_refused(tmp_path: Path, bands: int,
                                                    interleave: str) -> None:
    """A deflated single strip compresses 40,000 × 40,000 bytes into ~2 MB, and any read
    decodes all of it: refused by block size, before a pixel is read (here scaled down)."""
    data = np.zeros((bands, 1500, 1500), "uint8")
    path = write_tif(tmp_path / "strip.tif", data, compress="deflate", tiled=False,
                     blockysize=1500, interleave=interleave)
    with rasterio.open(path) as dataset:
        assert dataset.block_shapes[0] == (1500, 1500)
    small = UploadLimits(max_block_bytes=2 * 1024 * 1024)  # one band's block is 2.1 MB
    report = check_raster(source(path), limits=small)
    assert not report.ok and report.raster is not None and report.raster.stats == []
    expected = "6.4" if bands == 3 else "2.1"
    assert f"stores its pixels in one block of {expected} MB" in report.errors[0]
    assert "save it tiled (e.g. gdal_translate -co TILED=YES) or striped" in report.errors[0]
    with pytest.raises(UnsafeFile, match="in one block of"):
        write_cog(source(path), tmp_path / "strip.cog.tif", limits=small)
    assert not (tmp_path / "strip.cog.tif").exists()
    assert check_raster(source(path)).ok  # within the default 256 MB per block
    assert any("blocks of up to 256 MB" in line for line in UploadLimits().describe())
