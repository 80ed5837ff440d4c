"""Reading national deposit tables: real USGS files (when present) and tables built here."""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InputError
from domain.vocab import COMMODITY_NAMES, normalise_commodities
from layers.errors import EmptyTable, LayerError, UnsupportedTable
from sites.deposit_tables import RECORD_COLUMNS, DepositTable, read_deposit_table
from store.models import Deposit

REALDATA = Path(__file__).resolve().parents[3] / "shared" / "realdata"
MRDS_FILE = "deposits/minmod_mrds_sites_8079.csv"
POINTS_FILE = "deposits/usgs_lithium_us_Loc_Pt.csv"
SITES_FILE = "deposits/usgs_lithium_us_Site.csv"
RESOURCES_FILE = "deposits/usgs_lithium_us_Resources.csv"


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    """Write a small CSV built in the test."""
    path = folder / name
    path.write_text(text, encoding=encoding, newline="")
    return path


def skipped_by_row(table: DepositTable) -> dict[int, str]:
    """Skip reasons keyed by spreadsheet row number."""
    return {row.row_number: row.reason for row in table.skipped}


def assert_in_range(table: DepositTable) -> None:
    """Every loaded point is a finite WGS84 position."""
    records = table.records
    assert records["lat"].between(-90, 90).all()
    assert records["lon"].between(-180, 180).all()
    assert len(records) + len(table.skipped) == table.rows_read


# --- real data -----------------------------------------------------------------------------


def usable_wkt_rows(path: Path) -> int:
    """Count MRDS rows with a usable POINT, independently of the reader (csv module only)."""
    point = re.compile(r"^\s*POINT\s*\(\s*(\S+)\s+(\S+)\s*\)\s*$", re.IGNORECASE)
    count = 0
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            match = point.match(row["location"])
            if match is None:
                continue
            try:
                lon, lat = float(match[1]), float(match[2])
            except ValueError:
                continue
            if abs(lat) <= 90 and abs(lon) <= 180 and (lat, lon) != (0.0, 0.0):
                count += 1
    return count


@pytest.mark.realdata
def test_realdata_path_is_beside_the_repository(realdata_dir: Path) -> None:
    assert realdata_dir == REALDATA


@pytest.mark.realdata
def test_minmod_mrds_file_loads_every_usable_row(realdata_dir: Path) -> None:
    path = realdata_dir / MRDS_FILE
    table = read_deposit_table(path)
    assert (table.layout, table.dataset, table.rows_read) == ("mrds-wkt", "usgs-mrds", 8079)
    assert len(table.records) == usable_wkt_rows(path)
    assert_in_range(table)
    assert list(table.records.columns) == list(RECORD_COLUMNS)


@pytest.mark.realdata
def test_minmod_damaged_copper_comes_out_as_cu(realdata_dir: Path) -> None:
    records = read_deposit_table(realdata_dir / MRDS_FILE).records
    damaged = records[
        records["commodities_original"].map(lambda t: "pper" in [i.strip() for i in t.split(",")])
    ]
    assert len(damaged) > 1000
    assert damaged["commodities"].map(lambda codes: "Cu" in codes.split(";")).all()
    first = records.set_index("source_record_id").loc["10180432"]
    assert (first["commodities"], first["commodities_original"]) == ("Ag;Cu", "Silver,pper,,,")
    assert str(first["deposit_type"]).count("; ") == 1 and ",," not in first["deposit_type"]
    assert first["source"].startswith("https://minmod.isi.edu/resource/")


@pytest.mark.realdata
def test_minmod_text_has_no_missing_markers(realdata_dir: Path) -> None:
    table = read_deposit_table(realdata_dir / MRDS_FILE)
    text = table.records.drop(columns=["lat", "lon"])
    assert not text.isna().any().any()
    assert not text.isin(["nan", "<Null>", "None"]).any().any()
    assert set(table.records["dev_status"]) == {"unknown"}
    assert set(table.records["dev_status_original"]) == {""}
    assert table.unrecognised_commodities.get("elements", 0) > 0


@pytest.mark.realdata
def test_usgs_lithium_points_load(realdata_dir: Path) -> None:
    table = read_deposit_table(realdata_dir / POINTS_FILE)
    assert (table.layout, table.dataset, table.rows_read) == (
        "usgs-lithium-points",
        "usgs-lithium-2019",
        61,
    )
    assert_in_range(table)
    assert len(table.records) == 61
    thacker = table.records.set_index("source_record_id").loc["Mo00574"]
    assert thacker["lat"] == pytest.approx(41.711978)
    assert thacker["lon"] == pytest.approx(-118.074988)
    assert thacker["commodities"].split(";")[0] == "Li"
    assert (thacker["country"], thacker["admin_area"]) == ("United States", "Nevada")
    assert thacker["source"].endswith("https://doi.org/10.5066/P9ZKRWQF")


@pytest.mark.realdata
def test_usgs_lithium_feature_types_map_to_statuses(realdata_dir: Path) -> None:
    records = read_deposit_table(realdata_dir / POINTS_FILE).records.set_index("source_record_id")
    district = records.loc["Mr00161"]
    assert district["dev_status"] == "occurrence"
    assert district["position_note"].startswith("centroid of a mineral district")
    assert district["admin_area"] == "North Carolina; South Carolina"
    mine = records.loc["Mf00291"]
    assert (mine["dev_status"], mine["dev_status_original"]) == ("unknown", "Brine Mine")
    assert records.loc["Mo00574", "dev_status"] == "prospect"
    assert records.loc["Mo00574", "position_note"] == "Approximate center of polygon from map"
    assert set(records["position_quality"]) == {"published"}
    assert (records["other_names"] != "<Null>").all()


@pytest.mark.realdata
def test_usgs_lithium_sites_load(realdata_dir: Path) -> None:
    table = read_deposit_table(realdata_dir / SITES_FILE)
    assert (table.layout, table.rows_read, len(table.records)) == ("usgs-lithium-sites", 21, 21)
    assert_in_range(table)
    site = table.records.set_index("source_record_id").loc["AR00002"]
    assert (site["name"], site["admin_area"], site["commodities"]) == (
        "Smackover-Lanxess",
        "Arkansas",
        "Li;Br",
    )


@pytest.mark.realdata
def test_usgs_resources_table_has_no_coordinates(realdata_dir: Path) -> None:
    with pytest.raises(UnsupportedTable) as caught:
        read_deposit_table(realdata_dir / RESOURCES_FILE)
    message = str(caught.value)
    assert "usgs_lithium_us_Resources.csv" in message
    assert "Site_ID *" in message and "Mat_Amnt" in message
    assert "latitude/longitude" in message and "location" in message


# --- tables built here ---------------------------------------------------------------------


BAD_ROWS = (
    "id,name,latitude,longitude,commodity\n"
    "A1,Good,45.5,-117.25,Lithium; Bromine\n"
    "A2,Sentinel,-9999.99,-9999.99,Gold\n"
    "\n"
    "A4,Too far north,96,10,Copper\n"
    "A5,Words,abc,10,Tin\n"
    "A6,Null island,0,0,Zinc\n"
    "A7,No latitude,,10,Zinc\n"
    "A1,Repeated,1,1,Zinc\n"
    "A9,Nothing,,,Zinc\n"
)


def test_bad_coordinates_are_skipped_with_row_and_reason(tmp_path: Path) -> None:
    table = read_deposit_table(write(tmp_path, "sites.csv", BAD_ROWS))
    assert table.rows_read == 9
    assert list(table.records["source_record_id"]) == ["A1"]
    assert skipped_by_row(table) == {
        3: "latitude -9999.99 is a no-data marker",
        4: "blank row",
        5: "latitude 96 is outside -90..90",
        6: "latitude 'abc' is not a number",
        7: "coordinates 0, 0 ('null island') are a placeholder, not a location",
        8: "no latitude",
        9: "duplicate record id 'A1' (first at row 2)",
        10: "no coordinates",
    }
    assert [row.record_id for row in table.skipped][:3] == ["A2", "", "A4"]


def test_lat_lon_table_is_normalised(tmp_path: Path) -> None:
    table = read_deposit_table(write(tmp_path, "My Sites.csv", BAD_ROWS), dataset="mine")
    record = table.records.iloc[0]
    assert (table.layout, table.dataset, record["dataset"]) == ("latlon", "mine", "mine")
    assert (record["lat"], record["lon"]) == (45.5, -117.25)
    assert (record["commodities"], record["commodities_original"]) == ("Li;Br", "Lithium; Bromine")
    assert (record["dev_status"], record["position_quality"]) == ("unknown", "published")
    assert record["source"] == "My Sites.csv, row 2"
    assert read_deposit_table(tmp_path / "My Sites.csv").dataset == "my-sites"


def test_records_match_the_store_deposits_table(tmp_path: Path) -> None:
    table = read_deposit_table(write(tmp_path, "sites.csv", BAD_ROWS))
    # the handling marking is set by an editor and same_as by the cross-walk, not read from
    # a file
    store_columns = [c.name for c in Deposit.__table__.columns
                     if c.name not in {"id", "marking", "same_as"}]
    assert list(table.records.columns) == store_columns == list(RECORD_COLUMNS)
    assert str(table.records["lat"].dtype) == "float64"


def mercator(lon: float, lat: float) -> tuple[float, float]:
    """EPSG:3857 metres for a WGS84 position (spherical Web Mercator formula)."""
    radius = 6378137.0
    x = math.radians(lon) * radius
    y = math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) * radius
    return x, y


def test_wkt_in_web_mercator_is_reprojected(tmp_path: Path) -> None:
    x, y = mercator(-117.25, 45.5)
    text = (
        "record_id,site_name,location,crs\n"
        f"M1,Mercator,POINT ({x} {y}),EPSG:3857\n"
        "M2,Prefixed,SRID=4326;POINT Z (10 20 30),EPSG:3857\n"
        "M3,Empty,POINT EMPTY,EPSG:4326\n"
        'M4,Area,"POLYGON ((0 0, 1 0, 1 1, 0 0))",EPSG:4326\n'
        "M5,Unknown CRS,POINT (1 2),EPSG:999999\n"
    )
    table = read_deposit_table(write(tmp_path, "points.csv", text))
    assert table.layout == "wkt"
    lat, lon = table.records.set_index("source_record_id").loc["M1", ["lat", "lon"]]
    assert (lat, lon) == (pytest.approx(45.5, abs=1e-6), pytest.approx(-117.25, abs=1e-6))
    assert table.records.set_index("source_record_id").loc["M2", "lat"] == 20
    assert skipped_by_row(table) == {
        4: "location 'POINT EMPTY' is not a point",
        5: "location 'POLYGON ((0 0, 1 0, 1 1, 0 0))' is not a point",
        6: "unknown CRS 'EPSG:999999'",
    }


def test_latin1_file_is_decoded(tmp_path: Path) -> None:
    path = write(tmp_path, "latin1.csv", "id,name,lat,lon\n1,Ñandú,-34.6,-58.4\n", "latin-1")
    table = read_deposit_table(path)
    assert table.records["name"].tolist() == ["Ñandú"]
    assert table.encoding in {"cp1252", "latin-1"}


def test_utf8_bom_and_usgs_markers(tmp_path: Path) -> None:
    text = "\ufeffSite_ID *,Ftr_ID *,Ftr_Name,Lat_WGS84,Long_WGS84,State,Other_Name\n"
    text += "NV1,Mo1,Gamma,40,-117,NV,<Null>\n"
    table = read_deposit_table(write(tmp_path, "bom.csv", text))
    assert (table.layout, table.encoding) == ("usgs-lithium-points", "utf-8-sig")
    record = table.records.iloc[0]
    assert (record["name"], record["other_names"], record["admin_area"]) == ("Gamma", "", "Nevada")


def test_mrds_export_columns(tmp_path: Path) -> None:
    text = (
        "dep_id,site_name,dec_lat,dec_long,country,state,dev_stat,commod1,commod2,commod3,"
        "dep_type\n"
        '10001,Alpha,39.5,-116.1,United States,NV,Past Producer,Gold,"Silver, pper",,'
        '"Epithermal vein,,"\n'
    )
    table = read_deposit_table(write(tmp_path, "mrds.csv", text))
    record = table.records.iloc[0]
    assert (table.layout, table.dataset) == ("mrds-latlon", "usgs-mrds")
    assert (record["dev_status"], record["dev_status_original"]) == (
        "past producer",
        "Past Producer",
    )
    assert (record["commodities"], record["commodities_original"]) == (
        "Au;Ag;Cu",
        "Gold, Silver, pper",
    )
    assert (record["admin_area"], record["deposit_type"]) == ("Nevada", "Epithermal vein")
    assert record["source"] == "USGS Mineral Resources Data System (MRDS), record 10001"


def test_unrecognised_commodities_are_counted(tmp_path: Path) -> None:
    text = "id,lat,lon,commodity\n1,1,1,Lithium; unobtainium\n2,2,2,unobtainium\n3,3,3,\n"
    table = read_deposit_table(write(tmp_path, "odd.csv", text))
    assert table.unrecognised_commodities == {"unobtainium": 2}
    assert table.records["commodities"].tolist() == ["Li", "", ""]


def test_semicolon_separated_file(tmp_path: Path) -> None:
    table = read_deposit_table(write(tmp_path, "semi.csv", "name;y;x\nDelta;10.5;20.25\n"))
    assert table.records[["lat", "lon"]].values.tolist() == [[10.5, 20.25]]
    assert table.records["source_record_id"].tolist() == ["row-2"]


@pytest.mark.parametrize(
    ("text", "words"),
    [("", "is empty"), ("   \n", "is empty"), ("id,lat,lon\n", "header row but no data rows")],
)
def test_empty_files_raise_clear_errors(tmp_path: Path, text: str, words: str) -> None:
    path = write(tmp_path, "nothing.csv", text)
    with pytest.raises(EmptyTable, match=words) as caught:
        read_deposit_table(path)
    assert "nothing.csv" in str(caught.value)
    assert isinstance(caught.value, LayerError) and isinstance(caught.value, InputError)


def test_table_without_coordinates_is_unsupported(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedTable, match=r"Columns found: id, name, grade") as caught:
        read_deposit_table(write(tmp_path, "grades.csv", "id,name,grade\n1,A,0.5\n"))
    assert isinstance(caught.value, ValueError)
    assert "lat/lon" in str(caught.value) and "grades.csv" in str(caught.value)


def test_missing_file_is_a_layer_error(tmp_path: Path) -> None:
    with pytest.raises(LayerError, match="Cannot read"):
        read_deposit_table(tmp_path / "absent.csv")


CODE_OF_NAME = {name: code for code, name in COMMODITY_NAMES.items()}
SEPARATORS = st.sampled_from([",", ";", "|", "/", " and ", ", ", " ; ", ",,", ";, ", " | ,"])
CASES: st.SearchStrategy[Callable[[str], str]] = st.sampled_from([str, str.lower, str.upper])


@given(
    names=st.lists(st.sampled_from(sorted(CODE_OF_NAME)), min_size=1, max_size=8),
    data=st.data(),
)
def test_commodity_names_normalise_in_order_without_duplicates(
    names: list[str], data: st.DataObject
) -> None:
    text = data.draw(CASES)(names[0])
    for name in names[1:]:
        text += data.draw(SEPARATORS) + data.draw(CASES)(name)
    expected = tuple(dict.fromkeys(CODE_OF_NAME[name] for name in names))
    result = normalise_commodities(text)
    assert result.canonical == expected
    assert result.unrecognised == ()


def test_commod_columns_are_read_in_any_table(tmp_path: Path) -> None:
    """A plain table (record_id, latitude, longitude) that names its commodities the MRDS way
    (commod1..commod3) keeps them: they were once dropped without a word."""
    path = tmp_path / "claims.csv"
    path.write_text("record_id,site_name,latitude,longitude,commod1,commod2\n"
                    "a1,First,40.1,-117.2,Lithium,Boron\n"
                    "a2,Second,40.2,-117.3,Gold,\n", encoding="utf-8")
    records = read_deposit_table(path).records.set_index("source_record_id")
    assert records.loc["a1", "commodities"] == "Li;B"
    assert records.loc["a2", "commodities"] == "Au"


CUT_UTF16 = [b"\xff\xfen", b"\xfe\xff\x00n\x00",
             b"\xff\xfe" + "id,name\r\n".encode("utf-16-le") + b"\x00"]


@pytest.mark.parametrize("data", CUT_UTF16)
def test_a_damaged_utf16_table_is_refused_in_words(tmp_path: Path, data: bytes) -> None:
    """A byte-order mark says UTF-16, but the bytes after it are cut short (found by the
    fuzzing tier): a sentence, not a UnicodeDecodeError."""
    path = tmp_path / "table.csv"
    path.write_bytes(data)
    with pytest.raises(LayerError, match="starts as UTF-16 text"):
        read_deposit_table(path)
