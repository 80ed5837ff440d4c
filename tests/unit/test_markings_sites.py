"""Handling markings on sites, on the reading side: a site marked above a person's clearance
and an attribute marked above it never reach them, in any export format, the site routes or
the briefing pack (asserted on the bytes, compressed ones read back); someone cleared for
them receives them, and every file states the highest marking of its contents first. On
SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from xml.etree import ElementTree

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import pytest
import shapely
from PIL import Image
from sqlalchemy import Engine
from starlette.testclient import TestClient

from domain.access import MARKING_CODES, Principal
from domain.errors import InputError
from domain.settings import DATA_DIR
from exports.briefing_picture import picture_title
from exports.export_file import ExportFile, ExportFormat
from exports.formats import MARKING_FILE, export_features
from exports.marking import marking_line
from layers.features import Features
from mapping.access_state import forget_all
from mapping.store_access import engine
from mapping.web.routes import starlette_app
from services.briefing import PackOptions, briefing_pack
from services.site_export import change_history, released_marking, site_export
from sites.selection import parse_selection
from sites.visibility import (
    hidden_site_ids,
    visible_record,
    visible_sites,
    without_hidden_projects,
)
from store.accounts import add_account, new_token
from store.audit import audit_rows
from store.permits_repo import load_permit_data
from tests.support.fixtures_data import write_data_dir
from tests.support.marked_sites import (
    CLEARED,
    HIDDEN_NAME,
    HIDDEN_PROJECT,
    HIDDEN_SITE,
    OPERATOR_SITE,
    PROPRIETARY,
    SECRET_OPERATOR,
    VIEWER,
    leaked,
    mark,
    marked_site_rows,
)

TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
ALL = parse_selection({}, TODAY)
PACK = PackOptions(basemap=DATA_DIR / "basemap" / "countries-110m.geojson", colours={})
PASSWORD = "correct horse battery"


@pytest.fixture()
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Iterator[Engine]:
    """The marked store on each backend, as the app's routes and caches reach it."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PERMITMAP_DATA_DIR",
                       str(write_data_dir(tmp_path / "data", sites=marked_site_rows())))
    forget_all()
    eng = engine()
    mark(eng)
    yield eng
    forget_all()


# --- reading back what a file holds -------------------------------------------------------


def readable(file: ExportFile, fmt: ExportFormat, tmp_path: Path) -> str:
    """Everything a file holds, as text: its bytes, and for compressed formats (the
    Shapefile zip, GeoParquet) what reading them back gives."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    parts = [file.data.decode("utf-8", "replace")]
    if fmt is ExportFormat.SHP:
        archive = zipfile.ZipFile(io.BytesIO(file.data))
        parts += [archive.read(n).decode("utf-8", "replace") for n in archive.namelist()]
        archive.extractall(tmp_path / "shp")
        parts.append(pyogrio.read_dataframe(tmp_path / "shp" / "sites.shp").to_csv())
    elif fmt is ExportFormat.PARQUET:
        table = pq.read_table(io.BytesIO(file.data))
        parts += [table.to_pandas().to_csv(), str(table.schema.metadata)]
    elif fmt is ExportFormat.GPKG:
        path = tmp_path / "sites.gpkg"
        path.write_bytes(file.data)
        parts.append(pyogrio.read_dataframe(path).to_csv())
    return "\n".join(parts)


def first_marking(file: ExportFile, fmt: ExportFormat, tmp_path: Path) -> str:
    """The marking code a file states first, read the way its format carries it."""
    data = file.data
    if fmt is ExportFormat.CSV:
        line = data.decode("utf-8-sig").splitlines()[0]
        return line.rpartition("(")[2].rstrip(")")
    if fmt is ExportFormat.GEOJSON:
        document = json.loads(data)
        assert next(iter(document)) == "marking"  # the first member
        return str(document["marking"])
    if fmt is ExportFormat.KML:
        root = ElementTree.fromstring(data)
        first = next(iter(root[0]))  # the document's first element
        assert first.tag.endswith("}name")
        return str(first.text).rpartition("(")[2].rstrip(")")
    if fmt is ExportFormat.GPKG:
        path = tmp_path / "first.gpkg"
        path.write_bytes(data)
        with sqlite3.connect(path) as db:
            description = db.execute("select description from gpkg_contents").fetchone()[0]
        code = pyogrio.read_info(path)["dataset_metadata"]["marking"]
        assert description == marking_line(code)
        return str(code)
    if fmt is ExportFormat.SHP:
        archive = zipfile.ZipFile(io.BytesIO(data))
        assert archive.namelist()[0] == MARKING_FILE
        line = archive.read(MARKING_FILE).decode().splitlines()[0]
        return line.rpartition("(")[2].rstrip(")")
    metadata = pq.read_metadata(io.BytesIO(data)).metadata
    assert b"geo" in metadata  # still GeoParquet
    return metadata[b"marking"].decode()


def _export(eng: Engine, fmt: ExportFormat, who: Principal) -> ExportFile:
    features = site_export(eng, ALL, TODAY, NOW, principal=who)
    return export_features(features, fmt, stem="sites", marking=released_marking(features))


# --- the marking line, for each format and marking ----------------------------------------


@pytest.mark.parametrize("code", MARKING_CODES)
@pytest.mark.parametrize("fmt", list(ExportFormat))
def test_every_format_states_its_marking_first(fmt: ExportFormat, code: str,
                                               tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame({"id": ["a", "b"], "name": ["Akita", "Niihama"]},
                             geometry=[shapely.Point(140.1, 39.7), shapely.Point(133.3, 33.9)],
                             crs="EPSG:4326")
    file = export_features(Features.of(frame), fmt, stem="s", marking=code)
    assert first_marking(file, fmt, tmp_path) == code
    if fmt is ExportFormat.CSV:
        label = {"public": "Public", "business-proprietary": "Business proprietary",
                 "controlled": "Controlled"}[code]
        assert file.data.decode("utf-8-sig").startswith(f"# Handling marking: {label} ({code})\n")
        back = pd.read_csv(io.BytesIO(file.data), encoding="utf-8-sig", skiprows=1)
        assert back["name"].tolist() == ["Akita", "Niihama"]
    if fmt is ExportFormat.GEOJSON:
        assert file.data.startswith(f'{{"marking":"{code}","type":"FeatureCollection"'.encode())


def test_a_marking_that_is_not_one_is_refused_in_words() -> None:
    frame = gpd.GeoDataFrame({"id": ["a"]}, geometry=[shapely.Point(0, 0)], crs="EPSG:4326")
    with pytest.raises(InputError, match="'secret' is not a handling marking"):
        export_features(Features.of(frame), ExportFormat.CSV, stem="s", marking="secret")


def test_an_office_label_is_used_with_the_code(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    vocabulary = (DATA_DIR / "markings.csv").read_text(encoding="utf-8")
    (tmp_path / "markings.csv").write_text(vocabulary.replace("Controlled,", "Restricted,", 1),
                                           encoding="utf-8")
    monkeypatch.setenv("PERMITMAP_DATA_DIR", str(tmp_path))
    assert marking_line("controlled") == "Handling marking: Restricted (controlled)"
    assert picture_title("Li", "controlled", 1, 2).startswith(
        "Handling marking: Restricted (controlled) · Li")


# --- the one rule ---------------------------------------------------------------------------


def test_visible_sites_drops_blanks_and_marks_in_one_place() -> None:
    sites = pd.DataFrame({"id": ["a", "b", "c"], "name": ["A", "B", "C"],
                          "operator": pd.Series(["Op A", "Op B", "Op C"], dtype="str"),
                          "marking": ["public", "controlled", "business-proprietary"]})
    marks = {"a": {"operator": "controlled", "status": "business-proprietary"},
             "b": {"operator": "public"}, "gone": {"operator": "controlled"}}
    seen = visible_sites(sites, marks, "public")
    assert seen["id"].tolist() == ["a"]  # b controlled, c business-proprietary
    row = seen.iloc[0]
    assert row["operator"] is None and row["withheld"] == ["operator"]  # None, not NaN
    assert row["marking"] == "public"  # what it still holds
    cleared = visible_sites(sites, marks, "business-proprietary").set_index("id")
    assert cleared.loc["a", "withheld"] == ["operator"]
    assert cleared.loc["c", "marking"] == "business-proprietary"
    everything = visible_sites(sites, marks, "controlled").set_index("id")
    assert everything.loc["a", "operator"] == "Op A"
    assert everything.loc["a", "marking"] == "controlled"  # its operator's marking
    assert sites.loc[0, "operator"] == "Op A"  # the input is left as it was
    assert hidden_site_ids(sites, "public") == {"b", "c"}
    assert hidden_site_ids(sites, "controlled") == frozenset()


def test_projects_go_with_their_hidden_site_and_unlinked_ones_stay() -> None:
    projects = pd.DataFrame({"project_id": ["p1", "p2", "p3"], "site_id": ["a", "b", ""]})
    alerts = pd.DataFrame({"project_id": ["p1", "p2", "p3", "p2"], "message": list("wxyz")})
    assert without_hidden_projects(alerts, projects, {"b"})["message"].tolist() == ["w", "y"]
    assert without_hidden_projects(alerts, projects, set()) is alerts


# --- the store: exports, routes, the pack ---------------------------------------------------


@pytest.mark.parametrize("fmt", list(ExportFormat))
def test_no_export_format_gives_a_viewer_what_is_marked(store: Engine, fmt: ExportFormat,
                                                        tmp_path: Path) -> None:
    file = _export(store, fmt, VIEWER)
    assert leaked(readable(file, fmt, tmp_path)) == []
    assert first_marking(file, fmt, tmp_path) == "public"  # all that is left is public
    if fmt is ExportFormat.GEOJSON:
        features = {f["id"]: f["properties"] for f in json.loads(file.data)["features"]}
        assert HIDDEN_SITE not in features
        alpha = features[OPERATOR_SITE]  # the site is there, its operator is not
        assert alpha["operator"] is None and alpha["withheld"] == "operator"
    proprietary = _export(store, fmt, PROPRIETARY)
    text = readable(proprietary, fmt, tmp_path / "bp")
    assert SECRET_OPERATOR in text and HIDDEN_NAME not in text
    assert first_marking(proprietary, fmt, tmp_path) == "business-proprietary"
    cleared = _export(store, fmt, CLEARED)
    assert {HIDDEN_NAME, SECRET_OPERATOR} <= set(leaked(readable(cleared, fmt, tmp_path / "c")))
    assert first_marking(cleared, fmt, tmp_path) == "controlled"


def test_the_audit_row_names_the_marking_that_left(store: Engine) -> None:
    site_export(store, ALL, TODAY, NOW, principal=VIEWER)
    site_export(store, ALL, TODAY, NOW, principal=CLEARED)
    rows = audit_rows(store, action="export")
    assert rows.sort_values("id")[["actor", "records", "marking"]].values.tolist()[-2:] == [
        ["vic", 4, "public"], ["ada", 5, "controlled"]]


def test_a_hidden_sites_history_is_no_record_at_all(store: Engine) -> None:
    with pytest.raises(InputError, match="has no permitting record"):
        change_history(store, principal=VIEWER, site_id=HIDDEN_SITE)
    # someone cleared gets its history (none is recorded for it: no error either)
    assert change_history(store, principal=CLEARED, site_id=HIDDEN_SITE).empty


def test_the_briefing_pack_holds_nothing_marked_for_a_viewer(store: Engine) -> None:
    pack = zipfile.ZipFile(io.BytesIO(
        briefing_pack(store, ALL, TODAY, NOW, PACK, principal=VIEWER).data))
    for name in pack.namelist():
        assert leaked(pack.read(name)) == [], name
        assert b"pm-beta" not in pack.read(name), name  # the hidden site's project
    readme = pack.read("README.txt").decode()
    assert readme.splitlines()[0].startswith("Handling marking: Public (public)")
    for name in [n for n in pack.namelist() if n.endswith(".csv")]:
        assert pack.read(name).decode("utf-8-sig").startswith(
            "# Handling marking: Public (public)\n"), name
    assert json.loads(pack.read(f"sites_{TODAY}.geojson"))["marking"] == "public"
    title = Image.open(io.BytesIO(pack.read("map.png"))).text["Title"]
    assert title == picture_title(ALL.describe().capitalize(), "public", 3, 4)


def test_the_briefing_pack_of_someone_cleared_holds_everything(store: Engine) -> None:
    pack = zipfile.ZipFile(io.BytesIO(
        briefing_pack(store, ALL, TODAY, NOW, PACK, principal=CLEARED).data))
    everything = b"\n".join(pack.read(n) for n in pack.namelist() if n != "map.png")
    assert set(leaked(everything)) == {HIDDEN_NAME, SECRET_OPERATOR, HIDDEN_PROJECT,
                                       "HIDDEN-OPERATOR-QRS"}
    assert pack.read("README.txt").decode().startswith("Handling marking: Controlled")
    assert pack.read("permit_timetables.csv").decode("utf-8-sig").startswith(
        "# Handling marking: Controlled (controlled)\n")
    title = Image.open(io.BytesIO(pack.read("map.png"))).text["Title"]
    assert title.startswith("Handling marking: Controlled (controlled) · ")


def test_the_permitting_record_loses_the_hidden_sites_projects(store: Engine) -> None:
    data = load_permit_data(store)
    shown = visible_record(data, {HIDDEN_SITE})
    assert "pm-beta" in set(data.projects["project_id"])
    assert "pm-beta" not in set(shown.projects["project_id"]) | set(shown.actions["project_id"])
    assert set(shown.milestones["project_id"]) == {"pm-alpha"}


@pytest.fixture()
def tokens(store: Engine) -> dict[str, str]:
    """A viewer with public clearance and one cleared for controlled, each with a token."""
    add_account(store, "vic", "viewer", password=PASSWORD, actor="test")
    add_account(store, "ada", "viewer", "controlled", password=PASSWORD, actor="test")
    forget_all()
    return {name: new_token(store, name, "tests", actor="test") for name in ("vic", "ada")}


@pytest.mark.parametrize("fmt", list(ExportFormat))
def test_the_site_routes_give_a_viewer_nothing_marked(store: Engine, tokens: dict[str, str],
                                                      fmt: ExportFormat,
                                                      tmp_path: Path) -> None:
    client = TestClient(starlette_app())
    url = f"/api/sites.{fmt.url_suffix}"
    seen = client.get(url, headers={"Authorization": f"Bearer {tokens['vic']}"})
    assert seen.status_code == 200, seen.text
    file = ExportFile(seen.content, "sites", fmt.media_type)
    assert leaked(readable(file, fmt, tmp_path)) == []
    assert first_marking(file, fmt, tmp_path) == "public"
    cleared = client.get(url, headers={"Authorization": f"Bearer {tokens['ada']}"})
    file = ExportFile(cleared.content, "sites", fmt.media_type)
    assert {HIDDEN_NAME, SECRET_OPERATOR} <= set(leaked(readable(file, fmt, tmp_path / "c")))
    assert first_marking(file, fmt, tmp_path) == "controlled"


def test_searching_the_route_for_a_marked_value_finds_nothing(
        store: Engine, tokens: dict[str, str]) -> None:
    client = TestClient(starlette_app())
    wanted = {("vic", "SECRET-OPERATOR"): [], ("vic", "HIDDEN-SITE"): [],
              ("ada", "SECRET-OPERATOR"): [OPERATOR_SITE], ("ada", "HIDDEN-SITE"): [HIDDEN_SITE]}
    for (name, query), ids in wanted.items():
        body = client.get(f"/api/sites.geojson?q={query}",
                          headers={"Authorization": f"Bearer {tokens[name]}"}).json()
        assert [f["id"] for f in body["features"]] == ids, (name, query)


def test_the_pack_route_gives_a_viewer_nothing_marked(store: Engine,
                                                      tokens: dict[str, str]) -> None:
    client = TestClient(starlette_app())
    response = client.get("/api/briefing.zip",
                          headers={"Authorization": f"Bearer {tokens['vic']}"})
    assert response.status_code == 200, response.text
    pack = zipfile.ZipFile(io.BytesIO(response.content))
    assert all(leaked(pack.read(n)) == [] for n in pack.namelist())
    assert pack.read("README.txt").decode().startswith("Handling marking: Public (public)")


def test_the_health_route_counts_only_the_sites_one_may_see(store: Engine,
                                                             tokens: dict[str, str]) -> None:
    client = TestClient(starlette_app())
    counts = {name: client.get("/api/health", headers={"Authorization": f"Bearer {token}"})
              .json()["counts"]["sites"] for name, token in tokens.items()}
    assert counts == {"vic": 4, "ada": 5}


def test_every_format_copes_with_every_attribute_withheld(store: Engine,
                                                          tmp_path: Path) -> None:
    from store.markings import set_marking
    from tests.support.marked_sites import EDITOR

    markable = ("operator", "country", "admin_area", "locality", "stage", "other_stages",
                "commodities", "commodities_original", "status", "status_original",
                "status_date", "jointly_selected", "position_quality", "location_note",
                "description", "source", "operator_ja", "admin_area_ja", "locality_ja",
                "names_ja_source")
    for attribute in markable:
        set_marking(store, "site", "jp-gamma", "controlled", principal=EDITOR,
                    attribute=attribute)
    for fmt in ExportFormat:
        file = _export(store, fmt, VIEWER)
        assert "Gamma Magnet Works" in readable(file, fmt, tmp_path / fmt.value)
    features = site_export(store, ALL, TODAY, NOW, principal=VIEWER).columns.set_index("id")
    assert features.loc["jp-gamma", "withheld"] == "; ".join(sorted(markable))
    assert features.loc["jp-gamma", "country"] is None


def test_the_source_s_own_words_are_withheld_with_the_attribute() -> None:
    from sites.visibility import visible_sites

    sites = pd.DataFrame({"id": ["a"], "commodities": ["Li;Co"],
                          "commodities_original": ["lithium, cobalt"], "status": ["producer"],
                          "status_original": ["Producing since 2020"], "marking": ["public"]})
    marks = {"a": {"commodities": "controlled", "status": "business-proprietary"}}
    seen = visible_sites(sites, marks, "public").iloc[0]
    assert seen[["commodities", "commodities_original", "status",
                 "status_original"]].isna().all()
    assert seen["withheld"] == ["commodities", "status"]
    partly = visible_sites(sites, marks, "business-proprietary").iloc[0]
    assert (partly["status_original"], partly["commodities_original"]) == (
        "Producing since 2020", None)
