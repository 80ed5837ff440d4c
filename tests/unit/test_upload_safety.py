"""Hostile uploads are refused before GDAL reads them: zips, VRTs, XML entities, network links."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

import layers  # noqa: F401  (sets GDAL_SKIP before pyogrio is imported)
from layers.errors import FileTooLarge, UnreadableLayer, UnsafeFile, UnsupportedFormat
from layers.gdal_safety import assert_vector_drivers_safe, configure_environment
from layers.identify import identify
from layers.limits import MIB, UploadLimits
from layers.upload_safety import check_zip_entries
from tests.support.layer_files import damage_zip_entry

LIMITS = UploadLimits()
POINT = '{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1,2]}}'
OGR_VRT = """<OGRVRTDataSource><OGRVRTLayer name="secret">
<SrcDataSource>{src}</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>"""
RASTER_VRT = """<VRTDataset rasterXSize="1" rasterYSize="1"><VRTRasterBand dataType="Byte" band="1">
<SimpleSource><SourceFilename>/etc/passwd</SourceFilename></SimpleSource>
</VRTRasterBand></VRTDataset>"""
LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>&lol2;</name>
<Point><coordinates>1,2</coordinates></Point></Placemark></kml>"""
NETWORK_LINK = """<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>
<NetworkLink><Link><href>http://example.com/more.kml</href></Link></NetworkLink>
</Document></kml>"""


def write_zip(path: Path, entries: dict[str, bytes]) -> Path:
    """A zip holding ``entries`` (deflated)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ("../evil.shp", "path traversal"),
        ("data/../../evil.shp", "outside the zip"),
        ("/etc/evil.shp", "absolute path"),
        ("C:/temp/evil.shp", "absolute path"),
        ("inner.zip", "nested zip"),
        ("doc.kmz", "nested zip"),
    ],
)
def test_zip_with_unsafe_entry_is_refused(tmp_path: Path, entry: str, words: str) -> None:
    upload = write_zip(tmp_path / "survey.zip", {entry: b"x", "a.txt": b"y"})
    with pytest.raises(UnsafeFile, match=words):
        identify(upload, "survey.zip", LIMITS)


def test_zip_with_too_many_entries_is_refused(tmp_path: Path) -> None:
    upload = write_zip(tmp_path / "many.zip", {f"f{i}.txt": b"" for i in range(3000)})
    with pytest.raises(UnsafeFile, match="3,000 entries; the limit is 2,000"):
        identify(upload, "many.zip", LIMITS)


def test_zip_bomb_is_refused_by_its_unpacked_size_not_its_ratio(tmp_path: Path) -> None:
    upload = write_zip(tmp_path / "bomb.zip", {"zeros.shp": bytes(50 * MIB)})
    assert upload.stat().st_size < MIB
    with pytest.raises(UnsafeFile, match="would unpack to 50 MB; the limit is 10 MB"):
        identify(upload, "bomb.zip", UploadLimits(max_unzipped_bytes=10 * MIB))


def test_zip_over_unpacked_total_is_refused() -> None:
    entries = []
    for i in range(3):
        info = zipfile.ZipInfo(f"part{i}.shp")
        info.file_size, info.compress_size = 2_000 * MIB, 1_000 * MIB
        entries.append(info)
    with pytest.raises(UnsafeFile, match="would unpack to 6,000 MB"):
        check_zip_entries(entries, "big.zip", LIMITS)


def test_encrypted_entry_is_refused() -> None:
    info = zipfile.ZipInfo("survey.shp")
    info.flag_bits |= 0x1
    with pytest.raises(UnsafeFile, match="encrypted"):
        check_zip_entries([info], "locked.zip", LIMITS)


def test_ogr_vrt_renamed_geojson_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.geojson"
    secret.write_text(POINT)
    upload = tmp_path / "survey.geojson"
    upload.write_text(OGR_VRT.format(src=secret))
    with pytest.raises(UnsafeFile, match="VRT files point at other files"):
        identify(upload, "survey.geojson", LIMITS)


def test_raster_vrt_renamed_tif_is_refused(tmp_path: Path) -> None:
    upload = tmp_path / "grid.tif"
    upload.write_text(RASTER_VRT)
    with pytest.raises(UnsafeFile, match="VRT"):
        identify(upload, "grid.tif", LIMITS)


def test_vrt_in_utf16_is_refused(tmp_path: Path) -> None:
    upload = tmp_path / "grid.tif"
    upload.write_bytes(RASTER_VRT.encode("utf-16"))
    with pytest.raises(UnsafeFile, match="VRT"):
        identify(upload, "grid.tif", LIMITS)


def test_billion_laughs_kml_is_refused(tmp_path: Path) -> None:
    upload = tmp_path / "laughs.kml"
    upload.write_text(LAUGHS)
    with pytest.raises(UnsafeFile, match="DOCTYPE or XML entities"):
        identify(upload, "laughs.kml", LIMITS)


def test_kml_network_link_is_refused(tmp_path: Path) -> None:
    upload = tmp_path / "linked.kml"
    upload.write_text(NETWORK_LINK)
    with pytest.raises(UnsafeFile, match="save the linked file and upload it instead"):
        identify(upload, "linked.kml", LIMITS)


def test_kmz_with_network_link_is_refused(tmp_path: Path) -> None:
    upload = write_zip(tmp_path / "linked.kmz", {"doc.kml": NETWORK_LINK.encode()})
    with pytest.raises(UnsafeFile, match="NetworkLink"):
        identify(upload, "linked.kmz", LIMITS)


def test_geojson_mentioning_vsicurl_is_refused(tmp_path: Path) -> None:
    upload = tmp_path / "remote.geojson"
    upload.write_text(POINT.replace('"properties":{}',
                                    '"properties":{"src":"/vsicurl/http://example.com/x"}'))
    with pytest.raises(UnsafeFile, match="/vsicurl/"):
        identify(upload, "remote.geojson", LIMITS)


def test_file_over_size_limit_is_refused(tmp_path: Path) -> None:
    upload = tmp_path / "big.geojson"
    upload.write_bytes(b" " * (MIB + 1))
    with pytest.raises(FileTooLarge, match="uploads may be up to 1 MB"):
        identify(upload, "big.geojson", UploadLimits.from_megabytes(1))


def test_corrupt_zip_is_unreadable(tmp_path: Path) -> None:
    upload = tmp_path / "broken.zip"
    upload.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    with pytest.raises(UnreadableLayer, match="not a readable zip"):
        identify(upload, "broken.zip", LIMITS)


def test_unknown_binary_is_unsupported(tmp_path: Path) -> None:
    upload = tmp_path / "photo.jpg"
    upload.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 100)
    with pytest.raises(UnsupportedFormat, match="We accept: GeoJSON"):
        identify(upload, "photo.jpg", LIMITS)


def test_gdal_skip_is_merged_with_existing_value() -> None:
    env = {"GDAL_SKIP": "netCDF,HDF5", "GDAL_HTTP_TIMEOUT": "30"}
    configure_environment(env)
    names = env["GDAL_SKIP"].split(",")  # commas: GDAL keeps "MapInfo File" whole
    assert names[:2] == ["netCDF", "HDF5"]
    assert {"OGR_VRT", "GDALG", "MapInfo File"} <= set(names)
    spaced = {"GDAL_SKIP": "netCDF HDF5"}  # an operator's space-separated value is kept
    configure_environment(spaced)
    assert spaced["GDAL_SKIP"].split(",")[:3] == ["netCDF", "HDF5", "ADBC"]
    assert env["GDAL_HTTP_TIMEOUT"] == "30"  # an operator's setting is kept
    assert env["CPL_VSIL_CURL_ALLOWED_EXTENSIONS"].startswith(".permitmap")


def test_ogr_vrt_driver_is_not_registered() -> None:
    assert_vector_drivers_safe()  # would raise if pyogrio had registered OGR_VRT


def test_renamed_ogr_vrt_is_not_opened_by_gdal_in_a_fresh_process(tmp_path: Path) -> None:
    """Even handed straight to pyogrio (skipping identify), GDAL does not open the VRT."""
    secret = tmp_path / "secret.geojson"
    secret.write_text(POINT)
    upload = tmp_path / "survey.geojson"
    upload.write_text(OGR_VRT.format(src=secret))
    script = textwrap.dedent(f"""
        import layers, pyogrio
        from pyogrio.errors import DataSourceError
        assert "OGR_VRT" not in pyogrio.list_drivers()
        try:
            frame = pyogrio.read_dataframe({str(upload)!r})
        except DataSourceError as exc:
            print("refused:", exc)
        else:
            print("OPENED", len(frame))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2], timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("refused:"), done.stdout


def test_pyogrio_imported_first_is_detected(tmp_path: Path) -> None:
    script = "import pyogrio, layers.gdal_safety as g\ntry:\n    g.assert_vector_drivers_safe()\n" \
             "except RuntimeError as exc:\n    print('caught', exc)\n"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2], timeout=120,
                          env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert "caught GDAL drivers " in done.stdout
    assert "GDALG" in done.stdout and "OGR_VRT" in done.stdout
    assert "pyogrio was imported before" in done.stdout


# --- GDAL pipelines (GDALG), driver allow-list, damaged zips ------------------------------------


def gdalg(local: Path) -> str:
    """A GDALG file: GDAL runs the pipeline, which reads ``local``."""
    return json.dumps({"type": "gdal_streamed_alg",
                       "command_line": f"gdal vector pipeline ! read {local} ! write --of "
                                       "stream x"})


def secret_csv(tmp_path: Path) -> Path:
    secret = tmp_path / "secret.csv"
    secret.write_text("a,b\n1,password\n")
    return secret


def test_gdalg_pipeline_renamed_geojson_is_refused(tmp_path: Path) -> None:
    upload = tmp_path / "survey.geojson"
    upload.write_text(gdalg(secret_csv(tmp_path)))
    with pytest.raises(UnsafeFile, match="is a GDAL pipeline, not data"):
        identify(upload, "survey.geojson", LIMITS)


def test_gdal_command_line_without_the_type_is_refused(tmp_path: Path) -> None:
    upload = tmp_path / "survey.json"
    upload.write_text('{"command_line": "gdal vector pipeline ! read /etc/hosts ! write x"}')
    with pytest.raises(UnsafeFile, match="GDAL pipeline"):
        identify(upload, "survey.json", LIMITS)


def test_gdalg_pipeline_zipped_as_a_shapefile_is_refused(tmp_path: Path) -> None:
    upload = write_zip(tmp_path / "survey.zip", {
        "a.shp": gdalg(secret_csv(tmp_path)).encode(), "a.shx": bytes(100), "a.dbf": bytes(33),
    })
    with pytest.raises(UnsafeFile, match=r"survey.zip \(a.shp\) is a GDAL pipeline"):
        identify(upload, "survey.zip", LIMITS)


def test_vsi_path_in_any_text_entry_of_a_zip_is_refused(tmp_path: Path) -> None:
    upload = write_zip(tmp_path / "survey.zip", {
        "a.shp": bytes(100), "a.shx": bytes(100), "a.dbf": bytes(33),
        "a.prj": b'GEOGCS["/vsicurl/http://example.com/x"]',
    })
    with pytest.raises(UnsafeFile, match=r"\(a.prj\) refers to a GDAL virtual path"):
        identify(upload, "survey.zip", LIMITS)


def test_drivers_outside_the_allow_list_are_not_registered_in_a_fresh_process(
        tmp_path: Path) -> None:
    """GDALG, network and MapInfo drivers are skipped (names with spaces too: GDAL_SKIP is
    comma-separated); a GDALG file handed straight to pyogrio is not run; rasterio still
    opens a GeoTIFF, warps through a VRT and writes PNG tiles."""
    upload = tmp_path / "survey.geojson"
    upload.write_text(gdalg(secret_csv(tmp_path)))
    script = textwrap.dedent(f"""
        import layers, numpy, pyogrio, rasterio
        from pyogrio.errors import DataSourceError
        from rasterio.io import MemoryFile
        from rasterio.transform import from_origin
        from rasterio.vrt import WarpedVRT
        registered = set(pyogrio.list_drivers())
        for name in ("GDALG", "HTTP", "WFS", "MapInfo File", "OGR_VRT", "SQLite"):
            assert name not in registered, name
        with rasterio.Env() as env:
            drivers = set(env.drivers())
        needed = ("GTiff", "COG", "MEM", "VRT", "PNG", "JPEG", "WEBP", "SRTMHGT")
        assert set(needed) <= drivers, set(needed) - drivers
        assert "HTTP" not in drivers
        tif = {str(tmp_path / "grid.tif")!r}
        with rasterio.open(tif, "w", driver="GTiff", width=8, height=8, count=1, dtype="uint8",
                           crs="EPSG:4326", transform=from_origin(0, 8, 1, 1)) as dst:
            dst.write(numpy.ones((1, 8, 8), "uint8"))
        with rasterio.open(tif) as src, WarpedVRT(src, crs="EPSG:3857") as vrt:
            assert vrt.read(1).any()
        with MemoryFile() as memory:
            with memory.open(driver="PNG", width=8, height=8, count=1, dtype="uint8") as png:
                png.write(numpy.ones((1, 8, 8), "uint8"))
            assert memory.read().startswith(b"\\x89PNG")
        try:
            frame = pyogrio.read_dataframe({str(upload)!r})
        except DataSourceError as exc:
            print("refused:", exc)
        else:
            print("OPENED", frame.to_dict())
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2], timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("refused:"), done.stdout
    assert "password" not in done.stdout


def test_unreviewed_vector_driver_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    import pyogrio

    drivers = dict(pyogrio.list_drivers())
    monkeypatch.setattr(pyogrio, "list_drivers", lambda: {**drivers, "NewFormat": "rw"})
    with pytest.raises(RuntimeError, match=r"not been reviewed: NewFormat.*add them to "
                                           r"SKIPPED_DRIVERS"):
        assert_vector_drivers_safe()


@pytest.mark.parametrize("entry", ["", "."])
def test_zip_entry_without_a_name_is_refused(tmp_path: Path, entry: str) -> None:
    upload = tmp_path / "odd.zip"
    with zipfile.ZipFile(upload, "w") as archive:
        archive.writestr(zipfile.ZipInfo(entry), b"x")
        archive.writestr("a.txt", b"y")
    with pytest.raises(UnsafeFile, match="an entry with no name"):
        identify(upload, "odd.zip", LIMITS)


def placemarks(count: int) -> bytes:
    """A KML with ``count`` numbered placemarks (enough bytes to damage in the middle)."""
    marks = "".join(f"<Placemark><name>site {i}</name><Point><coordinates>{-117 + i / 1e4},"
                    f"39.5</coordinates></Point></Placemark>" for i in range(count))
    return (f'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
            f"{marks}</Document></kml>").encode()


def test_kmz_with_a_damaged_entry_is_unreadable(tmp_path: Path) -> None:
    upload = damage_zip_entry(write_zip(tmp_path / "claims.kmz", {"doc.kml": placemarks(2000)}),
                    "doc.kml")
    with pytest.raises(UnreadableLayer, match=r"claims.kmz is damaged \(entry 'doc.kml' "
                                              r"cannot be unpacked.*zip the files again"):
        identify(upload, "claims.kmz", LIMITS)
