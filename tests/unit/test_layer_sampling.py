"""Sampling a published raster (``layers.sampling``) and finding vector features near places
(``layers.nearby_features``), checked against NumPy on GeoTIFFs built here: values at
points, statistics within polygons and radii, no data left out, and the overview read
(counted by the windows it reports and by the bytes the file gave)."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import shapely
from pyproj import Geod, Transformer
from rasterio.transform import from_origin

from domain.errors import InputError
from layers.cog import write_cog
from layers.geodesic_zones import geodesic_circles
from layers.nearby_features import features_near
from layers.sampling import radius_stats, values_at, zonal_stats
from layers.upload_formats import FileFormat, IdentifiedUpload

# A lon/lat grid of 0.001° pixels whose value says where it is: row * 10,000 + column.
WEST, NORTH, RES = -118.0, 42.0, 0.001
WIDTH, HEIGHT = 2048, 1536
NODATA = -9999.0
GEOD = Geod(ellps="WGS84")


def _as_cog(source: Path, target: Path) -> Path:
    """``source`` written as the app writes a published raster (512 px tiles, overviews)."""
    upload = IdentifiedUpload(path=source, name=source.name, format=FileFormat.GEOTIFF,
                              gdal_path=str(source), size_bytes=source.stat().st_size,
                              checksum="test")
    write_cog(upload, target)
    return target


def _grid_values() -> np.ndarray:
    rows, cols = np.mgrid[0:HEIGHT, 0:WIDTH]
    values = (rows * 10_000 + cols).astype("float32")
    values[:10, :100] = NODATA  # a nodata strip in the top-left corner
    values[100:110, 100:110] = np.nan  # and NaN cells, also no data
    return values


@pytest.fixture(scope="module")
def grid(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The lon/lat grid as a COG (512 px tiles; overviews 2, 4 and 8 times coarser)."""
    folder = tmp_path_factory.mktemp("grid")
    source = folder / "grid.tif"
    profile = {"driver": "GTiff", "width": WIDTH, "height": HEIGHT, "count": 1,
               "dtype": "float32", "crs": "EPSG:4326", "nodata": NODATA,
               "transform": from_origin(WEST, NORTH, RES, RES)}
    with rasterio.open(source, "w", **profile) as dataset:
        dataset.write(_grid_values(), 1)
    return _as_cog(source, folder / "grid.cog.tif")


def _centre(row: Any, col: Any) -> tuple[Any, Any]:
    """Longitude and latitude of a pixel's centre."""
    return WEST + (np.asarray(col) + 0.5) * RES, NORTH - (np.asarray(row) + 0.5) * RES


def _box_px(top: float, left: float, bottom: float, right: float) -> shapely.Polygon:
    """A box between pixel edge coordinates (row, column; fractions allowed)."""
    return shapely.box(WEST + left * RES, NORTH - bottom * RES, WEST + right * RES,
                       NORTH - top * RES)


def _pixel_box(row0: int, col0: int, row1: int, col1: int) -> shapely.Polygon:
    """A box holding the centres of rows row0..row1-1 and columns col0..col1-1, its edges a
    quarter pixel off the centres (so "centre inside" has one answer)."""
    return _box_px(row0 + 0.25, col0 + 0.25, row1 + 0.25, col1 + 0.25)


def _numpy_stats(values: np.ndarray, inside: np.ndarray) -> tuple[float, float, float, int]:
    found = values[inside & np.isfinite(values) & (values != NODATA)]
    if not found.size:
        return (np.nan, np.nan, np.nan, 0)
    return (float(found.min()), float(found.max()), float(found.mean(dtype="float64")),
            int(found.size))


def _centres_inside(zone: shapely.Geometry, transform: Any, shape: tuple[int, int]
                    ) -> np.ndarray:
    rows, cols = np.mgrid[0:shape[0], 0:shape[1]]
    xs, ys = transform @ (cols + 0.5, rows + 0.5)
    return np.asarray(shapely.contains_xy(zone, xs, ys))


class CountingOpener:
    """Serves a file to GDAL through Python (rasterio's ``opener``), counting the bytes read."""

    def __init__(self) -> None:
        self.bytes = 0

    def open(self, path: str, mode: str = "r") -> io.RawIOBase:
        return _Counted(open(path, "rb"), self)  # GDAL closes it

    def isfile(self, path: str) -> bool:
        return os.path.isfile(path)

    def isdir(self, path: str) -> bool:
        return os.path.isdir(path)

    def ls(self, path: str) -> list[str]:
        return os.listdir(path)

    def mtime(self, path: str) -> float:
        return os.path.getmtime(path)

    def size(self, path: str) -> int:
        return os.path.getsize(path)


class _Counted(io.RawIOBase):
    def __init__(self, handle: io.BufferedReader, counter: CountingOpener) -> None:
        self.handle, self.counter = handle, counter

    def readinto(self, buffer: Any) -> int:
        count = self.handle.readinto(buffer)
        self.counter.bytes += count
        return count

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.handle.seek(offset, whence)

    def tell(self) -> int:
        return self.handle.tell()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def close(self) -> None:
        self.handle.close()
        super().close()


# --- values at points -------------------------------------------------------------------

def test_a_value_is_the_pixel_the_point_lies_in(grid: Path) -> None:
    lon, lat = _centre(13, 5)  # hand-checked: row 13, column 5 holds 130,005
    corner_lon, corner_lat = WEST + 5.9 * RES, NORTH - 13.1 * RES  # same pixel, off centre
    sampled = values_at(grid, [lon, corner_lon], [lat, corner_lat]).values
    assert sampled.tolist() == [130_005.0, 130_005.0]


def test_values_at_random_points_match_numpy(grid: Path) -> None:
    rng = np.random.default_rng(7)
    rows, cols = rng.integers(0, HEIGHT, 3_000), rng.integers(0, WIDTH, 3_000)
    lons, lats = _centre(rows, cols)
    expected = _grid_values()[rows, cols].astype("float64")
    expected[(expected == NODATA) | ~np.isfinite(expected)] = np.nan
    sampled = values_at(grid, lons, lats).values
    np.testing.assert_array_equal(sampled, expected)
    with rasterio.open(grid) as dataset:  # rasterio's own per-point sampling agrees
        naive = np.array([v[0] for v in dataset.sample(zip(lons[:200], lats[:200],
                                                             strict=True))], dtype="float64")
    naive[naive == NODATA] = np.nan
    np.testing.assert_array_equal(sampled[:200], naive)


def test_no_data_outside_and_unplaced_points_have_no_value(grid: Path) -> None:
    nodata_lon, nodata_lat = _centre(2, 50)  # in the nodata strip
    nan_lon, nan_lat = _centre(105, 105)  # a NaN cell
    ok_lon, ok_lat = _centre(0, 100)  # just right of the strip
    lons = [nodata_lon, nan_lon, WEST - 0.5, 10.0, float("nan"), ok_lon]
    lats = [nodata_lat, nan_lat, 41.5, 41.5, 41.5, ok_lat]
    sampled = values_at(grid, lons, lats).values
    assert np.isnan(sampled[:5]).all()
    assert sampled[5] == 100.0


def test_each_tile_holding_points_is_read_once(grid: Path) -> None:
    rng = np.random.default_rng(3)
    # 500 points in the first tile (512 px): one window
    one_tile = values_at(grid, *_centre(rng.integers(10, 512, 500), rng.integers(0, 512, 500)))
    assert one_tile.reads.windows == {0: 1} and one_tile.reads.pixels == {0: 512 * 512}
    # tiles (0, 0) and (0, 1) are neighbours: one read; (0, 3) and (2, 0) one each
    rows = np.array([20, 30, 40, 1100])
    cols = np.array([10, 600, 1600, 10])
    spread = values_at(grid, *_centre(rows, cols))
    assert spread.reads.windows == {0: 3}
    assert spread.values.tolist() == (rows * 10_000 + cols).astype("float64").tolist()


def test_points_read_only_the_bytes_of_their_tile(grid: Path) -> None:
    opener = CountingOpener()
    values_at(grid, *_centre(np.array([700, 710]), np.array([700, 720])), opener=opener)
    assert 0 < opener.bytes < grid.stat().st_size / 4


# --- statistics within polygons --------------------------------------------------------

def test_polygon_statistics_match_numpy(grid: Path) -> None:
    values = _grid_values()
    transform = from_origin(WEST, NORTH, RES, RES)
    zones = [
        _pixel_box(10, 10, 30, 30),  # 20 x 20 pixels
        shapely.Polygon([_centre(300.3, 300.2), _centre(300.3, 360.45),
                         _centre(250.15, 330.35)]),  # a triangle across many pixels
        _pixel_box(0, 80, 20, 120),  # a quarter of it in the nodata strip
        _pixel_box(95, 95, 115, 115),  # around the NaN cells
    ]
    table = zonal_stats(grid, zones).table
    for n, zone in enumerate(zones):
        expected = _numpy_stats(values, _centres_inside(zone, transform, values.shape))
        got = table.iloc[n]
        assert got["count"] == expected[3] > 0, n
        assert (got["min"], got["max"]) == expected[:2], n
        assert got["mean"] == pytest.approx(expected[2], rel=1e-12), n
        assert got["level"] == 0 and got["pixel_size"] == pytest.approx(RES)
    # hand-checked: 20 x 20 from row 10, column 10; 800 less 200 nodata; 400 less 100 NaN
    assert table["count"].tolist()[:1] + table["count"].tolist()[2:] == [400, 600, 300]
    assert (table.iloc[0]["min"], table.iloc[0]["max"]) == (100_010, 290_029)


def test_zones_without_valid_pixels_and_small_or_partial_zones(grid: Path) -> None:
    zones = [_pixel_box(3, 11, 9, 21),  # all in the nodata strip
             shapely.box(10.0, 10.0, 11.0, 11.0),  # far away
             None,
             _box_px(500.3, 500.1, 500.8, 500.4),  # inside one pixel, no centre
             _box_px(600.2, 600.6, 600.4, 601.4),  # across two pixels, no centre
             _box_px(-10, -10, 15.25, 5.25)]  # over the raster's corner
    table = zonal_stats(grid, zones).table
    assert table["count"].tolist() == [0, 0, 0, 1, 2, 25]
    assert table.iloc[:3][["min", "max", "mean"]].isna().all().all()
    assert table.iloc[3][["min", "max"]].tolist() == [5_000_500, 5_000_500]
    assert table.iloc[4][["min", "max"]].tolist() == [6_000_600, 6_000_601]
    # rows 0-14, columns 0-4 lie inside; rows 0-9 are nodata there
    assert table.iloc[5][["min", "max"]].tolist() == [100_000, 140_004]


def test_radius_statistics_match_numpy_over_the_geodesic_circle(grid: Path) -> None:
    values = _grid_values()
    transform = from_origin(WEST, NORTH, RES, RES)
    lon, lat = _centre(700, 900)
    stats = radius_stats(grid, [lon], [lat], 3.0)  # 6 km across: full resolution
    [circle] = geodesic_circles(np.array([lon]), np.array([lat]), 3.0)
    expected = _numpy_stats(values, _centres_inside(circle, transform, values.shape))
    got = stats.table.iloc[0]
    assert (got["min"], got["max"], got["count"]) == (*expected[:2], expected[3])
    assert got["mean"] == pytest.approx(expected[2], rel=1e-12)
    assert stats.reads.levels == [0]
    # and the circle is 3 km on the ground: about pi r^2 of pixel area
    pixel_km2 = (RES * 111.32 * np.cos(np.radians(lat))) * (RES * 111.13)
    assert got["count"] * pixel_km2 == pytest.approx(np.pi * 9, rel=0.02)


def test_geodesic_circles_lie_at_their_radius() -> None:
    lons, lats = np.array([-117.0, 140.0, 179.99]), np.array([41.0, 65.0, -17.0])
    circles = geodesic_circles(lons, lats, 50.0)
    for lon, lat, circle in zip(lons, lats, circles, strict=True):
        ring = shapely.get_coordinates(circle.exterior)
        _, _, distances = GEOD.inv(np.full(len(ring), lon), np.full(len(ring), lat),
                                   ring[:, 0], ring[:, 1])
        np.testing.assert_allclose(distances, 50_000.0, rtol=1e-9)
    assert circles[2].bounds[2] > 180  # one polygon across the 180th meridian


# --- the overview chosen ---------------------------------------------------------------

def test_a_wide_radius_reads_an_overview_and_matches_numpy_there(grid: Path) -> None:
    lon, lat = -116.976, 41.232  # a 50 km radius fits inside the grid
    opener = CountingOpener()
    stats = radius_stats(grid, [lon], [lat], 50.0, opener=opener)
    # about 100 km across: pixels up to 1 km are enough; the 8x overview (0.008°) is chosen
    assert stats.reads.levels == [3]
    got = stats.table.iloc[0]
    assert got["level"] == 3 and got["pixel_size"] == pytest.approx(8 * RES)
    [circle] = geodesic_circles(np.array([lon]), np.array([lat]), 50.0)
    with rasterio.open(grid, overview_level=2) as overview:  # level 3: GDAL's third overview
        values = overview.read(1)
        inside = _centres_inside(circle, overview.transform, values.shape)
    expected = _numpy_stats(values, inside)
    assert (got["min"], got["max"], got["count"]) == (*expected[:2], expected[3])
    assert got["mean"] == pytest.approx(expected[2], rel=1e-12)
    # against full resolution: far fewer bytes, nearly the same mean
    full_opener = CountingOpener()
    full = radius_stats(grid, [lon], [lat], 50.0, full_resolution=True, opener=full_opener)
    assert full.reads.levels == [0]
    assert opener.bytes * 8 < full_opener.bytes
    assert got["mean"] == pytest.approx(full.table.iloc[0]["mean"], rel=1e-3)


def test_zones_of_different_sizes_read_different_levels(grid: Path) -> None:
    lons, lats = np.array([-117.5, -116.976]), np.array([41.5, 41.232])
    small = radius_stats(grid, lons, lats, 1.0)
    assert small.reads.levels == [0] and small.reads.windows == {0: 2}
    medium = radius_stats(grid, lons[:1], lats[:1], 12.0)  # 24 km: 240 m pixels -> 0.002°
    assert medium.reads.levels == [1]
    points = values_at(grid, lons, lats)
    assert points.reads.levels == [0]


# --- other rasters ---------------------------------------------------------------------

def test_a_projected_raster_is_sampled_in_its_own_coordinates(tmp_path: Path) -> None:
    x0, y0, size = 400_000.0, 4_600_000.0, 30.0
    rows, cols = np.mgrid[0:200, 0:300]
    values = (rows * 1000 + cols).astype("float32")
    profile = {"driver": "GTiff", "width": 300, "height": 200, "count": 1, "dtype": "float32",
               "crs": "EPSG:32611", "nodata": NODATA, "transform": from_origin(x0, y0, size, size)}
    source = tmp_path / "utm.tif"
    with rasterio.open(source, "w", **profile) as dataset:
        dataset.write(values, 1)
    cog = _as_cog(source, tmp_path / "utm.cog.tif")
    to_lonlat = Transformer.from_crs("EPSG:32611", "EPSG:4326", always_xy=True)
    picks_r, picks_c = np.array([0, 57, 199]), np.array([0, 123, 299])
    lons, lats = to_lonlat.transform(x0 + (picks_c + 0.5) * size, y0 - (picks_r + 0.5) * size)
    assert values_at(cog, lons, lats).values.tolist() == [0.0, 57_123.0, 199_299.0]
    box_utm = shapely.box(x0 + 20.25 * size, y0 - 80.25 * size, x0 + 60.25 * size,
                          y0 - 40.25 * size)
    corners = shapely.get_coordinates(box_utm)
    zone = shapely.Polygon(np.column_stack(to_lonlat.transform(corners[:, 0], corners[:, 1])))
    got = zonal_stats(cog, [zone]).table.iloc[0]
    expected = _numpy_stats(values, _centres_inside(box_utm, from_origin(x0, y0, size, size),
                                                    values.shape))
    assert expected[3] == 40 * 40
    assert (got["min"], got["max"], got["count"]) == (*expected[:2], expected[3])


def test_band_mask_and_missing_band(tmp_path: Path) -> None:
    rows, cols = np.mgrid[0:64, 0:64]
    first = (rows + cols).astype("uint8")
    profile = {"driver": "GTiff", "width": 64, "height": 64, "count": 3, "dtype": "uint8",
               "crs": "EPSG:4326", "transform": from_origin(10.0, 1.0, 0.01, 0.01)}
    source = tmp_path / "rgb.tif"
    with rasterio.open(source, "w", **profile) as dataset:
        dataset.write(np.stack([first, first + 1, first + 2]))
        mask = np.full((64, 64), 255, dtype="uint8")
        mask[:, :32] = 0  # the left half has no data: an internal mask, no nodata value
        dataset.write_mask(mask)
    cog = _as_cog(source, tmp_path / "rgb.cog.tif")
    lons = np.array([10.0 + 40.5 * 0.01, 10.0 + 3.5 * 0.01])
    lats = np.array([1.0 - 2.5 * 0.01, 1.0 - 2.5 * 0.01])
    band_two = values_at(cog, lons, lats, band=2)
    assert band_two.values[0] == 2 + 40 + 1 and np.isnan(band_two.values[1])
    assert band_two.reads.mask_reads == 1
    whole = zonal_stats(cog, [shapely.box(10.0, 0.36, 10.64, 1.0)]).table.iloc[0]
    assert whole["count"] == 64 * 32 and whole["min"] == 32  # only the right half
    with pytest.raises(InputError, match="Band 4 does not exist: the raster has 3 bands"):
        values_at(cog, lons, lats, band=4)
    with pytest.raises(InputError, match="positive number of kilometres"):
        radius_stats(cog, lons, lats, -1.0)


@pytest.mark.realdata
def test_a_real_magnetic_survey_grid(realdata_dir: Path) -> None:
    path = realdata_dir / "rasters" / "usgs_tempest_mag_aligned.tif"  # EPSG:5070, 1 km
    with rasterio.open(path) as dataset:
        values, transform, nodata = dataset.read(1), dataset.transform, dataset.nodata
    rng = np.random.default_rng(11)
    rows, cols = rng.integers(0, values.shape[0], 400), rng.integers(0, values.shape[1], 400)
    xs, ys = transform @ (cols + 0.5, rows + 0.5)
    lons, lats = Transformer.from_crs("EPSG:5070", "EPSG:4326", always_xy=True).transform(xs, ys)
    expected = values[rows, cols].astype("float64")
    expected[expected == nodata] = np.nan
    assert np.isnan(expected).any() and (~np.isnan(expected)).any()  # both kinds picked
    np.testing.assert_array_equal(values_at(path, lons, lats).values, expected)
    valid = np.argwhere(values != nodata)[len(np.argwhere(values != nodata)) // 2]
    x, y = transform @ (valid[1] + 0.5, valid[0] + 0.5)
    box = shapely.box(x - 2_250, y - 2_250, x + 2_250, y + 2_250)  # 5 x 5 pixel centres
    corners = shapely.get_coordinates(box)
    zone = shapely.Polygon(np.column_stack(Transformer.from_crs(
        "EPSG:5070", "EPSG:4326", always_xy=True).transform(corners[:, 0], corners[:, 1])))
    got = zonal_stats(path, [zone]).table.iloc[0]
    inside = _centres_inside(box, transform, values.shape) & (values != nodata)
    assert got["count"] == inside.sum() > 0
    assert got["mean"] == pytest.approx(values[inside].mean(dtype="float64"), rel=1e-9)


# --- vector features near places -------------------------------------------------------

def test_features_within_a_distance_on_the_ground() -> None:
    lon, lat = -117.0, 64.0  # far north: a degree of longitude is short here
    near_lon, near_lat, _ = GEOD.fwd(lon, lat, 90.0, 4_900.0)
    far_lon, far_lat, _ = GEOD.fwd(lon, lat, 90.0, 5_100.0)
    square = shapely.box(lon - 0.5, lat - 0.5, lon + 0.5, lat + 0.5)  # the place lies in it
    features = np.array([shapely.Point(near_lon, near_lat), shapely.Point(far_lon, far_lat),
                         square, None])
    [found] = features_near(np.array([lon]), np.array([lat]), features, 5.0)
    assert found.tolist() == [0, 2]
    [inside_only] = features_near(np.array([lon]), np.array([lat]), features, 0.0)
    assert inside_only.tolist() == [2]
    unplaced = features_near(np.array([np.nan]), np.array([lat]), features, 5.0)
    assert unplaced[0].tolist() == []


def test_features_across_the_180th_meridian_are_found() -> None:
    feature = np.array([shapely.Point(-179.99, -17.0)])
    found = features_near(np.array([179.99, 179.9]), np.array([-17.0, -17.0]), feature, 5.0)
    assert [f.tolist() for f in found] == [[0], []]  # 2.1 km across the meridian; 11.7 km


@pytest.mark.parametrize("distance", [-1.0, float("nan"), 501.0])
def test_an_unusable_distance_is_refused_in_words(distance: float) -> None:
    with pytest.raises(InputError, match="cannot be used"):
        features_near(np.array([0.0]), np.array([0.0]), np.array([shapely.Point(0, 0)]),
                      distance)
