"""Japanese names (issue 19): every vocabulary code has one, with its source; sites' Japanese
names come from sources; a search in kana, kanji or romaji finds the same site; every export
format writes the Japanese name columns and reads them back intact; migration 0009."""

from __future__ import annotations

import csv
import inspect
import io
import json
import re
import zipfile
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path

# isort: off
import layers  # noqa: F401  (first: sets GDAL_SKIP before pyogrio is imported)

# isort: on
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, text

import domain.vocab as domain_vocab
import permits.vocab as permit_vocab
from domain.access import MARKING_CODES, OPEN_ACCESS
from domain.settings import DATA_DIR
from domain.vocab import COMMODITY_NAMES, DevStatus, PositionQuality, Stage
from domain.vocab_names import (
    fold_text,
    japanese_name,
    name_in,
    place_reading,
    vocab_names,
)
from exports.formats import ExportFormat, export_features
from services.site_export import site_export
from sites.filters import SiteFilter, filter_sites, search_text, with_search_text
from sites.names import shown_field, shown_name, shown_names
from sites.selection import parse_selection
from sites.visibility import visible_sites
from store.db import MIGRATIONS_DIR
from store.seed import read_sites
from store.startup import ensure_store
from tests.support.fixtures_data import SAMPLE_SITES, site_row, write_data_dir

# vocabulary name in data/vocab_ja.csv -> the enum whose members it names
ENUMS: dict[str, type[StrEnum]] = {
    "stage": Stage, "dev_status": DevStatus, "position_quality": PositionQuality,
    "project_status": permit_vocab.ProjectStatus, "action_status": permit_vocab.ActionStatus,
    "date_precision": permit_vocab.DatePrecision, "milestone_state": permit_vocab.MilestoneState,
    "schedule_health": permit_vocab.ScheduleHealth,
    "finding_status": permit_vocab.FindingStatus,
    "extension_outcome": permit_vocab.ExtensionOutcome,
    "change_kind": permit_vocab.ChangeKind, "milestone_type": permit_vocab.MilestoneEvent,
}
NIIHAMA = "jp-niihama-nickel-refinery"
TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


def _bundled(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / name, dtype=str, keep_default_na=False)


# --- vocabularies ---------------------------------------------------------------------------


def test_every_vocabulary_enum_is_named() -> None:
    """Every StrEnum of the two vocabulary modules is one of ENUMS, so a new vocabulary
    cannot be added without Japanese names."""
    found = {cls for module in (domain_vocab, permit_vocab)
             for _, cls in inspect.getmembers(module, inspect.isclass)
             if issubclass(cls, StrEnum) and cls.__module__ == module.__name__}
    assert found and found <= set(ENUMS.values()), found - set(ENUMS.values())


@pytest.mark.parametrize("vocabulary", sorted(ENUMS))
def test_every_member_of_every_vocabulary_enum_has_a_japanese_name(vocabulary: str) -> None:
    missing = [m.value for m in ENUMS[vocabulary] if not japanese_name(vocabulary, m.value)]
    assert missing == [], f"{vocabulary}: no Japanese name for {missing}"


def test_every_commodity_marking_action_milestone_type_and_reason_has_a_japanese_name() -> None:
    actions = _bundled("permits/actions.csv")["action_type"]
    milestones = _bundled("permits/milestones.csv")["milestone_type"]
    wanted = ([("commodity", c) for c in COMMODITY_NAMES]
              + [("marking", c) for c in MARKING_CODES]
              + [("action_type", t) for t in {*permit_vocab.KNOWN_ACTION_TYPES, *actions}]
              + [("milestone_type", t) for t in set(milestones)]
              + [("date_change_reason", r) for r in permit_vocab.DATE_CHANGE_REASONS]
              + [("pause_reason", r) for r in permit_vocab.PAUSE_REASONS])
    assert [key for key in wanted if not japanese_name(*key)] == []


def test_every_japanese_name_says_where_it_comes_from() -> None:
    names = vocab_names()
    assert len(names) > 150
    for (vocabulary, code), row in names.items():
        assert row.name_ja and re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", row.name_ja), code
        assert row.source.startswith("translation") or "http" in row.source, (vocabulary, code)
    # the element names come from a source, not a translation
    assert names[("commodity", "Dy")].name_ja == "ジスプロシウム"
    assert "jogmec.go.jp" in names[("commodity", "Nd")].source
    assert not any(names[("commodity", c)].source.startswith("translation")
                   for c in ("Li", "Nd", "Dy", "Tb", "Co", "Ni", "Ga", "graphite", "REE"))


def test_the_loader_reads_the_folder_it_is_given(tmp_path: Path) -> None:
    (tmp_path / "vocab_ja.csv").write_text(
        "vocabulary,code,name_en,name_ja,source\nstage,mine,mine,採掘場,translation (test)\n",
        encoding="utf-8")
    assert japanese_name("stage", "mine", tmp_path) == "採掘場"
    assert japanese_name("stage", "catalyst", tmp_path) is None
    assert name_in("ja", "stage", "catalyst", "Catalyst", tmp_path) == "Catalyst"
    assert name_in("ja", "stage", "mine", "Mine", tmp_path) == "採掘場"
    assert name_in("en", "stage", "mine", "Mine", tmp_path) == "Mine"
    assert japanese_name("stage", "mine", tmp_path / "nowhere") is None  # no file: no names
    twice = tmp_path / "twice"
    twice.mkdir()
    (twice / "vocab_ja.csv").write_text(
        "vocabulary,code,name_en,name_ja,source\nstage,mine,m,a,x\nstage,mine,m,b,x\n",
        encoding="utf-8")
    with pytest.raises(ValueError, match="twice"):
        japanese_name("stage", "mine", twice)


# --- the bundled site names ------------------------------------------------------------------


def test_japanese_place_names_are_those_of_the_code_list() -> None:
    sites, places = _bundled("sites.csv"), _bundled("places_ja.csv")
    japan = sites[sites["country"] == "Japan"]
    assert (japan["admin_area_ja"] != "").all()  # every prefecture is known
    prefectures = set(places.loc[places["municipality"] == "", "prefecture"])
    assert set(japan["admin_area_ja"]) <= prefectures and len(prefectures) == 47
    municipalities = places[places["municipality"] != ""]
    pairs = set(zip(municipalities["prefecture"], municipalities["municipality"], strict=True))
    filled = japan[japan["locality_ja"] != ""]
    assert len(filled) >= 10
    assert set(zip(filled["admin_area_ja"], filled["locality_ja"], strict=True)) <= pairs
    row = japan.set_index("id").loc[NIIHAMA]
    assert (row["admin_area_ja"], row["locality_ja"]) == ("愛媛県", "新居浜市")
    others = sites[sites["country"] != "Japan"]
    assert (others[["admin_area_ja", "locality_ja", "name_ja"]] == "").all().all()


def test_every_japanese_name_of_a_site_has_a_source() -> None:
    sites = _bundled("sites.csv")
    named = sites[(sites[["name_ja", "operator_ja", "admin_area_ja", "locality_ja"]] != "")
                  .any(axis=1)]
    assert len(named) >= 14
    assert (named["names_ja_source"].str.contains("http")).all()
    unnamed = sites.drop(named.index)
    assert (unnamed["names_ja_source"] == "").all()
    # an operator's Japanese name is the same for every site of that operator
    pairs = sites.loc[sites["operator_ja"] != "", ["operator", "operator_ja"]].drop_duplicates()
    assert not pairs["operator"].duplicated().any()


def test_the_seed_reads_the_japanese_columns_and_tolerates_an_older_file(tmp_path: Path
                                                                        ) -> None:
    rows = {r["id"]: r for r in read_sites(DATA_DIR / "sites.csv")}
    assert rows[NIIHAMA]["name_ja"] == "ニッケル工場"
    older = pd.read_csv(DATA_DIR / "sites.csv", dtype=str, keep_default_na=False)
    older = older.drop(columns=["name_ja", "operator_ja", "admin_area_ja", "locality_ja",
                                "names_ja_source"])
    older.to_csv(tmp_path / "sites.csv", index=False)
    again = {r["id"]: r for r in read_sites(tmp_path / "sites.csv")}
    assert again[NIIHAMA]["name_ja"] == "" and again[NIIHAMA]["name"] == rows[NIIHAMA]["name"]


# --- search in either script -----------------------------------------------------------------


def test_fold_text_joins_widths_scripts_and_case() -> None:
    assert fold_text("ｶﾀｶﾅ") == fold_text("カタカナ") == fold_text("かたかな") == "かたかな"
    assert fold_text("ＡＢＣ") == fold_text("abc") == "abc"
    assert fold_text("新居浜") == "新居浜"
    assert place_reading("新居浜市") == "ニイハマシ" and place_reading("東京") is None


@pytest.mark.parametrize("query", ["新居浜", "新居浜市", "にいはま", "ニイハマ", "ﾆｲﾊﾏ",
                                   "Niihama", "NIIHAMA", "ｎｉｉｈａｍａ"])
def test_search_in_kana_kanji_and_romaji_finds_the_same_site(query: str) -> None:
    sites = pd.DataFrame(read_sites(DATA_DIR / "sites.csv"))
    assert filter_sites(sites, SiteFilter(search=query))["id"].tolist() == [NIIHAMA]
    prepared = with_search_text(sites)  # folded once, the same answer
    assert filter_sites(prepared, SiteFilter(search=query))["id"].tolist() == [NIIHAMA]


def test_search_finds_japanese_site_and_operator_names() -> None:
    sites = pd.DataFrame(read_sites(DATA_DIR / "sites.csv"))
    found = filter_sites(sites, SiteFilter(search="住友金属鉱山"))["id"].tolist()
    assert NIIHAMA in found and "jp-harima-refinery" in found
    assert filter_sites(sites, SiteFilter(search="武生工場"))["id"].tolist() == [
        "jp-shin-etsu-takefu"]
    assert filter_sites(sites, SiteFilter(search="ﾆｯｹﾙ工場"))["id"].tolist() == [NIIHAMA]


def test_a_withheld_locality_cannot_be_found_by_its_japanese_name() -> None:
    sites = pd.DataFrame({"id": ["a"], "name": ["Nickel works"], "operator": ["X"],
                          "locality": ["Niihama"], "locality_ja": ["新居浜市"],
                          "marking": ["public"]})
    assert filter_sites(sites, SiteFilter(search="にいはま"))["id"].tolist() == ["a"]
    seen = visible_sites(sites, {"a": {"locality": "controlled"}}, "public")
    assert seen[["locality", "locality_ja"]].isna().all(axis=None)
    for query in ("新居浜", "にいはま", "Niihama"):
        assert filter_sites(seen, SiteFilter(search=query)).empty
    assert "新居浜" not in search_text(seen).iloc[0]


# --- shown names -------------------------------------------------------------------------------


def test_shown_name_prefers_the_japanese_name_in_japanese_mode() -> None:
    row = pd.Series({"name": "Harima Refinery", "name_ja": "播磨事業所", "operator": "SMM",
                     "operator_ja": None})
    assert shown_name(row, "ja") == "播磨事業所" and shown_name(row, "en") == "Harima Refinery"
    assert shown_field(row, "operator", "ja") == "SMM"  # no Japanese name: the English one
    assert shown_names(pd.DataFrame([row]), "ja").tolist() == ["播磨事業所"]
    with pytest.raises(ValueError, match="language"):
        shown_name(row, "fr")


# --- exports -------------------------------------------------------------------------------------


JAPANESE_SITE = site_row("jp-kappa", "Kappa Refinery", country="Japan", admin_area="Ehime",
                         locality="Niihama", operator="Sumitomo Metal Mining",
                         name_ja="ニッケル工場「ｶｯﾊﾟ」", operator_ja="住友金属鉱山",
                         admin_area_ja="愛媛県", locality_ja="新居浜市",
                         names_ja_source="https://example.org/ja", lat=33.96, lon=133.3)


@pytest.fixture()
def japanese_store(database_url: str, tmp_path: Path,
                   monkeypatch: pytest.MonkeyPatch) -> Engine:
    folder = write_data_dir(tmp_path / "data", sites=[*SAMPLE_SITES, JAPANESE_SITE])
    monkeypatch.setenv("PERMITMAP_DATA_DIR", str(folder))
    return ensure_store(database_url, folder)


def _frame(file_data: bytes, fmt: ExportFormat, tmp_path: Path) -> pd.DataFrame:
    """The features a file holds, read back the way its format is read."""
    if fmt is ExportFormat.CSV:
        return pd.read_csv(io.BytesIO(file_data), encoding="utf-8-sig", skiprows=1, dtype=str)
    if fmt is ExportFormat.GEOJSON:
        features = json.loads(file_data.decode("utf-8"))["features"]
        return pd.DataFrame([{"id": f.get("id"), **f["properties"]} for f in features])
    if fmt is ExportFormat.PARQUET:
        return pq.read_table(io.BytesIO(file_data)).to_pandas().drop(columns="geometry")
    if fmt is ExportFormat.SHP:
        archive = zipfile.ZipFile(io.BytesIO(file_data))
        assert archive.read("sites.cpg").strip() == b"UTF-8"
        archive.extractall(tmp_path / "shp")
        return pyogrio.read_dataframe(tmp_path / "shp" / "sites.shp")
    suffix = {ExportFormat.GPKG: "gpkg", ExportFormat.KML: "kml"}[fmt]
    path = tmp_path / f"sites.{suffix}"
    path.write_bytes(file_data)
    return pyogrio.read_dataframe(path)


@pytest.mark.parametrize("fmt", list(ExportFormat))
def test_every_export_format_round_trips_japanese_names(japanese_store: Engine,
                                                        fmt: ExportFormat,
                                                        tmp_path: Path) -> None:
    features = site_export(japanese_store, parse_selection({}, TODAY), TODAY, NOW,
                           principal=OPEN_ACCESS)
    columns = list(features.columns.columns)
    assert columns.index("name_ja") == columns.index("name") + 1
    assert columns.index("operator_ja") == columns.index("operator") + 1
    file = export_features(features, fmt, stem="sites")
    back = _frame(file.data, fmt, tmp_path)
    text_of = back.astype(str).to_csv(index=False)
    assert "ニッケル工場「ｶｯﾊﾟ」" in text_of and "住友金属鉱山" in text_of, fmt
    # the name column sits beside its Japanese one (the Shapefile cuts names to 10 bytes)
    name_ja = "Name_ja" if "Name_ja" in back else "name_ja"
    kappa = back[back.astype(str).apply(lambda r: "Kappa Refinery" in set(r), axis=1)]
    assert len(kappa) == 1
    assert kappa.iloc[0][name_ja] == "ニッケル工場「ｶｯﾊﾟ」"


def test_an_export_filtered_by_a_japanese_query_holds_the_site(japanese_store: Engine
                                                               ) -> None:
    for query in ("にいはま", "ｶｯﾊﾟ", "かっぱ", "KAPPA"):
        features = site_export(japanese_store, parse_selection({"q": query}, TODAY), TODAY,
                               NOW, principal=OPEN_ACCESS)
        assert features.columns["id"].tolist() == ["jp-kappa"], query


# --- migration 0009 ------------------------------------------------------------------------------


def _upgrade(url: str, revision: str, down: bool = False) -> None:
    engine = create_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)
    engine.dispose()


def test_migration_0009_adds_empty_japanese_columns_to_existing_sites(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    _upgrade(url, "0008")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO sites (id, name, operator, country, admin_area, locality, stage, "
            "other_stages, commodities, commodities_original, status, status_original, "
            "status_date, position_quality, location_note, description, source, marking) "
            "VALUES ('jp-old', 'Old', '', 'Japan', 'Ehime', '', 'mine', '', '', '', "
            "'producer', '', '', 'unknown', '', '', 's', 'public')"))
    _upgrade(url, "head")
    with engine.connect() as connection:
        row = connection.execute(text(
            "SELECT name, name_ja, operator_ja, admin_area_ja, locality_ja, names_ja_source "
            "FROM sites")).one()
    assert tuple(row) == ("Old", "", "", "", "", "")
    _upgrade(url, "0008", down=True)
    with engine.connect() as connection:
        names = [r[1] for r in connection.execute(text("PRAGMA table_info(sites)"))]
    engine.dispose()
    assert "name_ja" not in names and "name" in names


def test_places_file_lists_what_the_script_writes() -> None:
    with (DATA_DIR / "places_ja.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert all(r["source"].startswith("MIC local government code list") for r in rows)
    kana = re.compile(r"[\u30a1-\u30f6\u30fc]+")  # full-width katakana only
    assert all(kana.fullmatch(r["prefecture_kana"]) for r in rows)
    assert all(kana.fullmatch(r["municipality_kana"]) for r in rows if r["municipality"])
    assert {r["prefecture"] for r in rows if r["municipality"] == "新居浜市"} == {"愛媛県"}
