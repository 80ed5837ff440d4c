"""Messages of the table readers, the deposit import, the seed data, the zip checks, the
sampling arguments and the bbox parameter in Japanese.

Each case builds a bad input in code, as the other tests of these modules do; in Japanese the
message is the compiled catalog's translation filled with the same values, in English it is
unchanged.
"""

from __future__ import annotations

import csv
from pathlib import Path

# isort: off
import layers  # noqa: F401  (first: sets GDAL_SKIP before pyogrio is imported)
# isort: on

from domain.bbox import BBox
from domain.errors import InputError
from domain.i18n import language
from layers.coordinates import NULL_ISLAND
from layers.errors import EmptyTable, LayerError, UnreadableLayer, UnsupportedTable
from layers.identify import identify
from layers.limits import UploadLimits
from layers.nearby_features import check_distance
from layers.upload_formats import FileFormat
from sites.deposit_tables import read_deposit_table
from store.errors import SeedDataError
from store.records import DEPOSIT_COLUMNS
from store.seed import read_deposits
from tests.support.archive_files import write_lying_zip
from tests.support.japanese import in_japanese, refusal
from tests.unit.test_deposit_tables import BAD_ROWS


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def test_the_skip_reasons_of_a_deposit_table_are_japanese_in_japanese(tmp_path: Path) -> None:
    path = write(tmp_path, "sites.csv", BAD_ROWS)
    with language("ja"):
        japanese = {row.row_number: row.reason for row in read_deposit_table(path).skipped}
    english = {row.row_number: row.reason for row in read_deposit_table(path).skipped}
    assert english[5] == "latitude 96 is outside -90..90"
    assert english[9] == "duplicate record id 'A1' (first at row 2)"
    assert japanese == {
        3: in_japanese("latitude {value} is a no-data marker").format(value="-9999.99"),
        4: in_japanese("blank row"),
        5: in_japanese("latitude {value} is outside -90..90").format(value="96"),
        6: in_japanese("latitude {value} is not a number").format(value="'abc'"),
        7: in_japanese(NULL_ISLAND),
        8: in_japanese("no latitude"),
        9: in_japanese("duplicate record id {id} (first at row {row})").format(id="'A1'",
                                                                              row=2),
        10: in_japanese("no coordinates"),
    }


def test_an_unknown_crs_and_a_wkt_that_is_not_a_point(tmp_path: Path) -> None:
    path = write(tmp_path, "wkt.csv", 'id,wkt\nP1,"LINESTRING (0 0, 1 1)"\n'
                                      "P2,SRID=999999;POINT (1 2)\n")
    english = {row.row_number: row.reason for row in read_deposit_table(path).skipped}
    assert english == {2: "wkt 'LINESTRING (0 0, 1 1)' is not a point",
                       3: "unknown CRS 'EPSG:999999'"}
    with language("ja"):
        japanese = {row.row_number: row.reason for row in read_deposit_table(path).skipped}
    assert japanese == {
        2: in_japanese("{column} {value} is not a point").format(
            column="wkt", value="'LINESTRING (0 0, 1 1)'"),
        3: in_japanese("unknown CRS {name}").format(name="'EPSG:999999'")}


def test_tables_that_cannot_be_read(tmp_path: Path) -> None:
    workbook = tmp_path / "sites.xlsx.csv"
    workbook.write_bytes(b"PK\x03\x04 not a table")
    assert refusal(lambda: read_deposit_table(workbook), UnsupportedTable, "en") == (
        "sites.xlsx.csv is a zip or Excel workbook, not a CSV file. Save the sheet as CSV "
        "(UTF-8) and import that.")
    assert refusal(lambda: read_deposit_table(workbook), UnsupportedTable, "ja") == in_japanese(
        "{name} is a zip or Excel workbook, not a CSV file. Save the sheet as CSV (UTF-8) and "
        "import that.").format(name="sites.xlsx.csv")
    header_only = write(tmp_path, "header.csv", "id,lat,lon\n")
    assert refusal(lambda: read_deposit_table(header_only), EmptyTable, "ja") == in_japanese(
        "{name} has a header row but no data rows.").format(name="header.csv")
    ragged = write(tmp_path, "ragged.csv", "id,lat,lon\n1,2,3\n4,5,6,7,8\n")
    english = refusal(lambda: read_deposit_table(ragged), LayerError, "en")
    assert english == ("ragged.csv is not a well-formed table: line 3 has 5 fields where the "
                       "header has 3. Export it again as CSV with one header row.")
    problem = in_japanese("line {line} has {saw} fields where the header has {expected}.")
    assert refusal(lambda: read_deposit_table(ragged), LayerError, "ja") == in_japanese(
        "{name} is not a well-formed table: {problem} Export it again as CSV with one header "
        "row.").format(name="ragged.csv", problem=problem.format(line=3, saw=5, expected=3))


def test_a_seed_file_without_its_columns(tmp_path: Path) -> None:
    path = tmp_path / "deposits.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow(["dataset", "name"])
    missing = ", ".join(c for c in DEPOSIT_COLUMNS if c not in {"dataset", "name"})
    assert refusal(lambda: read_deposits(path), SeedDataError, "en") == (
        f"deposits.csv lacks the columns {missing}.")
    assert refusal(lambda: read_deposits(path), SeedDataError, "ja") == in_japanese(
        "{file} lacks the columns {columns}.").format(file="deposits.csv", columns=missing)


def test_zip_entries_that_lie_about_their_size(tmp_path: Path) -> None:
    bomb = write_lying_zip(tmp_path / "bomb.zip", "zeros.shp", 64 * 1024 * 1024, 1_000)
    limits = UploadLimits()
    english = refusal(lambda: identify(bomb, "bomb.zip", limits), UnreadableLayer, "en")
    assert english == ("bomb.zip is damaged (entry 'zeros.shp' cannot be unpacked: it unpacks to "
                       "more than the 1,000 bytes the zip declares for it: a damaged entry or a "
                       "zip bomb); zip the files again and re-upload.")
    damaged = in_japanese("{name} is damaged (entry {entry} cannot be unpacked: {detail}); zip "
                          "the files again and re-upload.")
    assert refusal(lambda: identify(bomb, "bomb.zip", limits), UnreadableLayer, "ja") == \
        damaged.format(name="bomb.zip", entry="'zeros.shp'", detail=in_japanese(
            "it unpacks to more than the {size} bytes the zip declares for it: a damaged entry "
            "or a zip bomb").format(size="1,000"))
    short = write_lying_zip(tmp_path / "short.zip", "notes.csv", 1_000, 5_000)
    assert refusal(lambda: identify(short, "short.zip", limits), UnreadableLayer, "ja") == \
        damaged.format(name="short.zip", entry="'notes.csv'", detail=in_japanese(
            "{total} bytes where the zip declares {size}").format(total="1,000", size="5,000"))


def test_sampling_distance_and_bbox_parameters() -> None:
    assert refusal(lambda: check_distance(600), InputError, "en") == (
        "A distance of 600 km cannot be used: give 0 (the features a place lies in or on) up "
        "to 500 km.")
    assert refusal(lambda: check_distance(600), InputError, "ja") == in_japanese(
        "A distance of {distance} km cannot be used: give 0 (the features a place lies in or "
        "on) up to {limit} km.").format(distance="600", limit="500")
    assert refusal(lambda: BBox.parse("1,2,3"), InputError, "en") == (
        "bbox must be four numbers west,south,east,north in degrees (minx,miny,maxx,maxy), "
        "e.g. -125,24,-66,50.")
    assert refusal(lambda: BBox.parse("1,2,3"), InputError, "ja") == in_japanese(
        "{name} must be four numbers west,south,east,north in degrees (minx,miny,maxx,maxy), "
        "e.g. {example}.").format(name="bbox", example="-125,24,-66,50")
    assert refusal(lambda: BBox.parse("-10,50,10,40"), InputError, "ja") == in_japanese(
        "{name} {value} is out of range: longitudes -180..180, latitudes -90..90 with south "
        "before north (south first); west may exceed east across the 180th meridian.").format(
        name="bbox", value="-10,50,10,40")


def test_format_names_are_shown_in_the_language_and_kept_in_english() -> None:
    assert FileFormat.DXF.value == "DXF (CAD drawing)" == FileFormat.DXF.label
    with language("ja"):
        assert FileFormat.DXF.label == in_japanese("DXF (CAD drawing)")
        assert FileFormat.DXF.value == "DXF (CAD drawing)"  # what is stored with a layer
        assert FileFormat.GEOJSON.label == "GeoJSON"
