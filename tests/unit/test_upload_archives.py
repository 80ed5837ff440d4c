"""Zips by what they unpack to, not by ratio: genuine data that compresses a thousandfold is
accepted; a zip over the limit, or one whose declared size lies, is refused."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from domain.access import OPEN_ACCESS
from layers.errors import UnreadableLayer, UnsafeFile
from layers.identify import identify
from layers.limits import MIB, UploadLimits
from layers.preflight import inspect_upload
from services.publishing import LayerDetails, publish_upload
from store.startup import ensure_store
from tests.support.archive_files import write_lying_zip
from tests.support.fixtures_data import write_data_dir

LIMITS = UploadLimits()


def _zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def _ocean_tile(tmp_path: Path) -> Path:
    """An SRTM 3" tile over the sea (every height 0), zipped as USGS delivers them."""
    return _zip(tmp_path / "N00W030.hgt.zip", {"N00W030.hgt": bytes(1201 * 1201 * 2)})


def _mostly_empty_tif(tmp_path: Path) -> Path:
    data = np.zeros((4000, 4000), "uint8")
    data[100:140, 100:140] = 7  # one small survey patch in a wide empty frame
    tif = tmp_path / "patch.tif"
    with rasterio.open(tif, "w", driver="GTiff", width=4000, height=4000, count=1,
                       dtype="uint8", crs="EPSG:32611", nodata=0,
                       transform=from_origin(500_000, 4_500_000, 10, 10)) as out:
        out.write(data, 1)
    return _zip(tmp_path / "patch.zip", {"patch.tif": tif.read_bytes()})


def _repetitive_csv(tmp_path: Path) -> Path:
    rows = "name,lon,lat\n" + "sample,-116.5,41.0\n" * 300_000
    return _zip(tmp_path / "samples.zip", {"samples.csv": rows.encode()})


@pytest.mark.parametrize(("make", "fmt"), [(_ocean_tile, "SRTM height grid (.hgt)"),
                                           (_mostly_empty_tif, "GeoTIFF"),
                                           (_repetitive_csv, "CSV table")])
def test_genuine_archives_that_compress_extremely_well_are_accepted(tmp_path: Path, make,  # type: ignore[no-untyped-def]
                                                                   fmt: str) -> None:
    upload = make(tmp_path)
    [entry] = zipfile.ZipFile(upload).infolist()
    assert entry.file_size > 200 * entry.compress_size  # refused by ratio before
    report = inspect_upload(upload, upload.name).report
    assert report.ok, report.errors
    assert report.format == fmt


def test_an_ocean_tile_and_a_zipped_csv_publish(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERMITMAP_LAYER_DIR", str(tmp_path / "layers"))
    engine = ensure_store(f"sqlite:///{tmp_path / 'a.db'}", write_data_dir(tmp_path / "data"))
    for upload in (_ocean_tile(tmp_path), _repetitive_csv(tmp_path)):
        [record] = publish_upload(engine, upload, upload.name,
                                  LayerDetails(upload.stem, "alice"), principal=OPEN_ACCESS,
                                  layer_dir=tmp_path / "layers")
        assert record.kind == ("raster" if "hgt" in upload.name else "vector")


def test_a_zip_over_the_unpacked_limit_is_refused(tmp_path: Path) -> None:
    upload = _zip(tmp_path / "bomb.zip", {"zeros.csv": bytes(64 * MIB)})
    with pytest.raises(UnsafeFile, match="would unpack to 64 MB; the limit is 16 MB"):
        identify(upload, "bomb.zip", UploadLimits(max_unzipped_bytes=16 * MIB))


def test_a_zip_whose_declared_size_lies_is_refused_after_inflating_no_more(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    upload = write_lying_zip(tmp_path / "bomb.zip", "zeros.shp", 64 * MIB, 1_000)
    given: list[int] = []
    real_read = zipfile.ZipExtFile.read

    def counted(self: zipfile.ZipExtFile, n: int = -1) -> bytes:
        data = real_read(self, n)
        given.append(len(data))
        return data

    monkeypatch.setattr(zipfile.ZipExtFile, "read", counted)
    with pytest.raises(UnreadableLayer, match=r"more than the 1,000 bytes the zip declares"
                                              r".*zip bomb"):
        identify(upload, "bomb.zip", LIMITS)
    assert sum(given) == 1_001  # stopped one byte past the declared size


def test_an_entry_shorter_than_declared_is_damaged(tmp_path: Path) -> None:
    upload = write_lying_zip(tmp_path / "short.zip", "notes.csv", 1_000, 5_000)
    with pytest.raises(UnreadableLayer, match="damaged"):
        identify(upload, "short.zip", LIMITS)


def test_the_limits_are_stated_without_a_ratio() -> None:
    words = " ".join(LIMITS.describe())
    assert "4,096 MB unpacked" in words and ":1" not in words


def test_a_zipped_csv_is_read_from_a_copy_that_is_removed(tmp_path: Path) -> None:
    upload = _zip(tmp_path / "table.zip", {"notes.txt": b"readme",
                                            "points.csv": b"name,lon,lat\na,1,2\nb,3,4\n"})
    inspection = inspect_upload(upload, "table.zip")
    assert inspection.report.ok and len(inspection.vector_layers[0].frame) == 2
    assert "table.zip holds points.csv" in " ".join(inspection.report.notes)
    assert inspection.source is not None and not inspection.source.path.exists()
