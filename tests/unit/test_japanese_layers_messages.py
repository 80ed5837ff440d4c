"""The upload pre-flight's messages in Japanese: refusals, report errors and warnings.

Each case builds a bad upload in code, as the other upload tests do; in Japanese the message
is the compiled catalog's translation filled with the same values, in English it is unchanged.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

# isort: off
import layers  # noqa: F401  (first: sets GDAL_SKIP before pyogrio is imported)
# isort: on

from domain.i18n import language, ntr, tr
from layers.errors import FileTooLarge, UnreadableLayer, UnsafeFile, UnsupportedFormat
from layers.identify import identify
from layers.limits import MIB, UploadLimits
from layers.preflight import check_upload
from layers.staging import check_selection
from tests.support.japanese import in_japanese, refusal

LIMITS = UploadLimits()


def write_zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def test_a_zip_with_path_traversal_is_refused_in_japanese(tmp_path: Path) -> None:
    upload = write_zip(tmp_path / "survey.zip", {"../evil.shp": b"x", "a.txt": b"y"})
    english = refusal(lambda: identify(upload, "survey.zip", LIMITS), UnsafeFile, "en")
    assert english == ("survey.zip holds an entry that points outside the zip ('../evil.shp', "
                       "path traversal with '..'); zip the files again without '..' in their "
                       "paths.")
    japanese = refusal(lambda: identify(upload, "survey.zip", LIMITS), UnsafeFile, "ja")
    assert japanese == in_japanese(
        "{name} holds an entry that points outside the zip ({entry}, path traversal with "
        "'..'); zip the files again without '..' in their paths.").format(
        name="survey.zip", entry="'../evil.shp'")


def test_a_file_over_the_size_limit_and_an_empty_file(tmp_path: Path) -> None:
    big = tmp_path / "big.geojson"
    big.write_bytes(b"{" + b" " * (MIB + MIB // 2))
    small = UploadLimits(max_file_bytes=MIB)
    english = refusal(lambda: identify(big, "big.geojson", small), FileTooLarge, "en")
    assert english == ("big.geojson is 1.5 MB; uploads may be up to 1 MB. Split the layer or "
                       "clip it to your area.")
    assert refusal(lambda: identify(big, "big.geojson", small), FileTooLarge, "ja") == \
        in_japanese("{name} is {size} MB; uploads may be up to {limit} MB. Split the layer or "
                    "clip it to your area.").format(name="big.geojson", size="1.5", limit="1")
    empty = tmp_path / "empty.kml"
    empty.write_bytes(b"")
    assert refusal(lambda: identify(empty, "empty.kml", LIMITS), UnreadableLayer, "ja") == \
        in_japanese("{name} is empty (0 bytes); check the file was saved completely.").format(
            name="empty.kml")


def test_one_part_of_a_shapefile_and_a_mixed_selection(tmp_path: Path) -> None:
    part = tmp_path / "roads.dbf"
    part.write_bytes(b"\x03" + b"\x00" * 40)
    english = refusal(lambda: identify(part, "roads.dbf", LIMITS), UnsupportedFormat, "en")
    assert english.startswith("roads.dbf is one part of a Shapefile, which is several files; "
                              "upload roads.shp, roads.shx, roads.dbf and roads.prj")
    assert refusal(lambda: identify(part, "roads.dbf", LIMITS), UnsupportedFormat, "ja") == \
        in_japanese(
            "{name} is one part of a Shapefile, which is several files; upload {stem}.shp, "
            "{stem}.shx, {stem}.dbf and {stem}.prj (and {stem}.cpg if there is one) together: "
            "select them all at once, or zip them and upload the zip.").format(
            name="roads.dbf", stem="roads")
    chosen = ["a.geojson", "b.kml"]
    what = ("Upload one file at a time, or the parts of one Shapefile (.shp, .shx, .dbf, .prj "
            "and .cpg with the same name) together.")
    assert refusal(lambda: check_selection(chosen), UnsupportedFormat, "en") == \
        f"You chose 2 files (a.geojson, b.kml). {what}"
    assert refusal(lambda: check_selection(chosen), UnsupportedFormat, "ja") == \
        in_japanese("You chose {n} files ({files}). {what}").format(
            n=2, files="a.geojson, b.kml", what=in_japanese(what))


def test_the_report_of_a_vector_with_empty_and_out_of_range_features(tmp_path: Path) -> None:
    features = [
        {"type": "Feature", "properties": {}, "geometry": None},
        {"type": "Feature", "properties": {},
         "geometry": {"type": "Point", "coordinates": [10, 96]}},
        {"type": "Feature", "properties": {},
         "geometry": {"type": "Point", "coordinates": [10, 45]}},
    ]
    path = tmp_path / "survey.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    english = check_upload(path)
    assert english.warnings == ["survey.geojson: 1 of 3 features has no geometry (null or "
                                "empty; e.g. feature 1); it is left out when the layer is "
                                "published."]
    assert english.errors[0].startswith("survey.geojson: 1 features have coordinates out of "
                                        "range (latitude beyond ±90°")
    with language("ja"):
        japanese = check_upload(path)
        feature = tr("feature {n}")
        empty = ntr("{label}: {n} of {total} features has no geometry (null or empty; e.g. "
                    "{examples}); it is left out when the layer is published.",
                    "{label}: {n} of {total} features have no geometry (null or empty; e.g. "
                    "{examples}); they are left out when the layer is published.", 1)
        out_of_range = tr(
            "{label}: {n} features have coordinates out of range (latitude beyond ±90°, "
            "longitude beyond ±180°, or not numbers) after conversion to WGS 84: {listed}. "
            "Check the coordinate system and the coordinate order (lon, lat), fix those "
            "features, or choose to publish without them.")
    assert empty != "{label}: {n} of {total} features has no geometry (null or empty; e.g. " \
                    "{examples}); it is left out when the layer is published."
    assert japanese.warnings == [empty.format(label="survey.geojson", n="1", total="3",
                                              examples=feature.format(n=1))]
    assert japanese.errors == [out_of_range.format(label="survey.geojson", n="1",
                                                   listed=feature.format(n=2))]


def test_the_upload_limits_are_stated_in_japanese() -> None:
    limits = UploadLimits(max_file_bytes=200 * MIB)
    assert limits.describe()[0] == "files up to 200 MB each"
    with language("ja"):
        described = limits.describe()
    assert described[0] == in_japanese("files up to {size} MB each").format(size=200)
    assert described[3] == in_japanese("vector layers up to {n} features").format(n="5,000,000")
