"""The fuzzing tier for survey uploads: generated GeoJSON, CSV and KML (valid-ish and broken)
and every real file in ../shared/realdata damaged at random, through the pre-flight and
publishing. Each ends in a report, or a refusal in words that stores nothing; never another
exception, and never a failure only the catch-all boundary caught.

Derandomized (the same examples on every run and machine); see README, Tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.access import OPEN_ACCESS
from domain.errors import PermitmapError
from layers.preflight import check_upload, inspect_upload
from layers.vector_read import VectorOptions
from services.publishing import LayerDetails, publish_upload
from tests.support.fuzz_files import (
    FUZZ,
    assert_refused_in_words,
    assert_sentences,
    csv_bytes,
    fuzz_examples,
    geojson_bytes,
    kml_bytes,
    mutated,
    no_unforeseen_failure,
    note_outcome,
    store_state,
)
from tests.support.sqlite_publishing import sqlite_setting

pytestmark = pytest.mark.fuzz

OPTIONS = st.builds(VectorOptions,
                    assume_crs=st.sampled_from([None, None, "EPSG:4326", "EPSG:3857"]),
                    repair_invalid=st.booleans(), drop_out_of_range=st.booleans())
DETAILS = LayerDetails(name="Fuzzed", uploaded_by="fuzzer")


@pytest.fixture()
def setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    return sqlite_setting(tmp_path, monkeypatch)


def write_upload(setting: dict, name: str, data: bytes) -> Path:
    """``data`` in a folder of its own, as the app stores an upload before checking it."""
    folder = setting["files"] / uuid.uuid4().hex
    folder.mkdir()
    path = folder / name
    path.write_bytes(data)
    return path


def through_upload(setting: dict, path: Path, name: str,
                   options: VectorOptions | None = None, *, report_only: bool = False) -> None:
    """The pre-flight answers with a report (errors in sentences); publishing stores what it
    accepts and refuses in words, storing nothing, what it does not."""
    engine, layer_dir = setting["engine"], setting["layer_dir"]
    with no_unforeseen_failure(name):
        if report_only:
            report = check_upload(path, name, options)
        else:
            report = inspect_upload(path, name, options).report
    assert_sentences(report.errors)
    report.to_json()  # what `layers check --json` prints
    assert report.ok or report.errors
    before = store_state(engine, layer_dir)
    try:
        with no_unforeseen_failure(name):
            records = publish_upload(engine, path, name, DETAILS, options=options,
                                     layer_dir=layer_dir, principal=OPEN_ACCESS)
    except PermitmapError as refused:
        assert_refused_in_words(refused)
        assert store_state(engine, layer_dir) == before, f"{name}: refused, yet stored"
        note_outcome("refused" if not report.ok else "passed the pre-flight, refused publishing")
        return
    note_outcome("published")
    assert report.ok, f"{name}: published although the pre-flight refused it: {report.errors}"
    assert records
    after = store_state(engine, layer_dir)
    assert after.rows["survey_layers"] == before.rows["survey_layers"] + len(records)


@FUZZ
@given(data=geojson_bytes(), options=OPTIONS,
       extension=st.sampled_from([".geojson", ".geojson", ".json"]))
def test_generated_geojson(setting: dict, data: bytes, options: VectorOptions,
                           extension: str) -> None:
    name = f"survey{extension}"
    through_upload(setting, write_upload(setting, name, data), name, options)


@FUZZ
@given(data=csv_bytes(), options=OPTIONS)
def test_generated_csv(setting: dict, data: bytes, options: VectorOptions) -> None:
    through_upload(setting, write_upload(setting, "points.csv", data), "points.csv", options)


@FUZZ
@given(data=kml_bytes(), options=OPTIONS)
def test_generated_kml(setting: dict, data: bytes, options: VectorOptions) -> None:
    through_upload(setting, write_upload(setting, "places.kml", data), "places.kml", options,
                   report_only=True)


# --- real files, damaged ----------------------------------------------------------------

def _real_files() -> list[str]:
    root = Path(__file__).resolve().parents[3] / "shared" / "realdata"
    if not root.is_dir():
        return ["(no realdata)"]
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if p.is_file() and p.suffix != ".md")


@pytest.mark.realdata
@pytest.mark.parametrize("relative", _real_files())
def test_damaged_real_files(setting: dict, realdata_dir: Path, relative: str,
                            tmp_path: Path) -> None:
    original = realdata_dir / relative
    data = original.read_bytes()
    siblings = [p for p in original.parent.iterdir()
                if p != original and p.stem == original.stem and p.is_file()]
    examples = fuzz_examples(6 if len(data) > 500_000 else 10)

    @settings(FUZZ, max_examples=examples)
    @given(damaged=mutated(data, is_zip=original.suffix == ".zip"))
    def damaged_copy(damaged: bytes) -> None:
        path = write_upload(setting, original.name, damaged)
        for sibling in siblings:  # a Shapefile's other parts, intact, beside the damaged one
            (path.parent / sibling.name).write_bytes(sibling.read_bytes())
        through_upload(setting, path, original.name)

    damaged_copy()


# --- what the fuzzing found, kept as examples -------------------------------------------

MODEL_IN_MULTIGEOMETRY = (
    '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>town</name>'
    "<Placemark><name>hall</name><MultiGeometry><Point><coordinates>139.7,35.6</coordinates>"
    '</Point><Model id="m1"><Location><longitude>139.7</longitude><latitude>35.6</latitude>'
    "</Location><Link><href>hall.dae</href></Link></Model></MultiGeometry></Placemark>"
    "<Placemark><name>gate</name><Point><coordinates>139.8,35.7</coordinates></Point>"
    "</Placemark></Document></kml>")


def test_a_3d_model_inside_a_multigeometry_is_left_out_not_a_crash(tmp_path: Path) -> None:
    """GDAL's KML driver ends the process (SIGSEGV) on this; run in a child process so a
    regression fails this test instead of the whole run."""
    path = tmp_path / "town.kml"
    path.write_text(MODEL_IN_MULTIGEOMETRY, encoding="utf-8")
    script = ("import sys, json, layers; from pathlib import Path; "
              "from layers.preflight import check_upload; "
              "r = check_upload(Path(sys.argv[1])); "
              "print(json.dumps([r.ok, r.notes, sum(l.feature_count for l in r.layers)]))")
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True,
                          text=True, cwd=Path(__file__).resolve().parents[2], timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    ok, notes, features = json.loads(done.stdout)
    assert ok and features == 2
    assert any("1 3D model (<Model>) left out" in note for note in notes)


def test_a_kml_of_empty_folders_is_refused_in_words(tmp_path: Path) -> None:
    path = tmp_path / "empty.kml"
    path.write_text('<kml xmlns="http://www.opengis.net/kml/2.2"><Folder><name>a</name>'
                    "</Folder></kml>", encoding="utf-8")
    with no_unforeseen_failure(path.name):
        report = check_upload(path)
    assert not report.ok
    assert "holds no layers" in report.errors[0]


def test_text_that_is_not_utf8_is_read_as_windows_latin1(setting: dict) -> None:
    data = (b'{"type": "FeatureCollection", "features": [{"type": "Feature", "id": {"k": '
            b'"Ca\xf1on"}, "properties": {"name": "Se\xf1or \x80", "depth": 3}, '
            b'"geometry": {"type": "Point", "coordinates": [-105.2, 39.7]}}]}')
    path = write_upload(setting, "latin.geojson", data)
    with no_unforeseen_failure(path.name):
        inspection = inspect_upload(path, path.name)
    assert inspection.report.ok, inspection.report.errors
    assert any("not UTF-8; read as Windows Latin-1" in w for w in inspection.report.warnings)
    frame = inspection.vector_layers[0].frame
    assert frame["name"].tolist() == ["Señor €"]
    through_upload(setting, path, path.name)


def test_a_blank_wkt_cell_skips_its_row(setting: dict) -> None:
    path = write_upload(setting, "sites.csv", b"wkt,name\n,a\nPOINT (1 2),b\n")
    with no_unforeseen_failure(path.name):
        inspection = inspect_upload(path, path.name)
    assert inspection.report.ok, inspection.report.errors
    assert len(inspection.vector_layers[0].frame) == 1


def test_lines_with_heights_across_the_antimeridian_are_split(setting: dict) -> None:
    data = json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "track"}, "geometry": {
            "type": "LineString", "coordinates": [[179.5, -17.0, 12.0], [-179.5, -17.2, 9.5]]}},
        {"type": "Feature", "properties": {"name": "flat"}, "geometry": {
            "type": "Polygon", "coordinates": [[[0, 0], [15, 0], [-166, 0], [0, 0]]]}},
    ]}).encode()
    path = write_upload(setting, "track.geojson", data)
    with no_unforeseen_failure(path.name):
        report = check_upload(path, options=VectorOptions(repair_invalid=False,
                                                          drop_out_of_range=True))
    assert any("split at 180°" in w for w in report.warnings), report.warnings


def test_an_unclosed_quote_is_named_with_its_row(setting: dict) -> None:
    path = write_upload(setting, "q.csv", b'lat,lon,name\n1,2,a\n3,4,x\n5,6,"oops\n')
    report = check_upload(path)
    assert report.errors == [
        'q.csv is not a well-formed table: a quoted value starting on row 4 is never closed '
        '(a stray " character). Export it again as CSV with one header row.']


def test_a_document_inside_the_one_folder_loses_no_placemark(tmp_path: Path) -> None:
    """The folder scan takes this KML for one layer; GDAL sees two and would read only the
    first."""
    path = tmp_path / "sites.kml"
    path.write_text(
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Folder><name>site</name><Placemark>'
        "<name>a</name><Point><coordinates>1,2</coordinates></Point></Placemark><Document>"
        "<name>inner</name><Placemark><name>b</name><Point><coordinates>3,4</coordinates>"
        "</Point></Placemark></Document></Folder></kml>", encoding="utf-8")
    inspection = inspect_upload(path, path.name)
    assert inspection.report.ok, inspection.report.errors
    assert sum(len(layer.frame) for layer in inspection.vector_layers) == 2
