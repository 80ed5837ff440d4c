"""The exports' messages come in the page's language: a refused coordinate system or format,
the notes on what a format could not keep, the briefing picture's texts, the pack's README and
a refused marking are Japanese under ``language("ja")`` (the compiled catalog's translation,
filled with the same values), and unchanged in English."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

# isort: off
import layers  # noqa: F401  (first: sets GDAL_SKIP before pyogrio is imported)

# isort: on
import geopandas as gpd
import pandas as pd
import pytest
import shapely
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

import domain.i18n
from domain.access import AccessDenied, Principal, Role
from domain.i18n import language, ntr, tr
from exports.briefing_picture import labels_note, picture_title
from exports.export_file import ExportFormat
from exports.formats import export_features
from exports.marking import marking_line
from exports.output_crs import area_note, output_crs, refuse_crs
from exports.picture_text import lettering_note
from layers.errors import UnsupportedFormat
from layers.features import Features
from services.briefing import _readme
from sites.selection import parse_selection
from store.audit import audit_rows
from store.markings import set_marking
from store.models import Site
from tests.support.japanese import both as _both
from tests.support.sample_store import seeded_store

TODAY = date(2026, 6, 30)


def _ja(template: str) -> str:
    """``template`` as the compiled Japanese catalog has it (never the English itself)."""
    with domain.i18n.language("ja"):
        translated = tr(template)
    assert translated != template, f"no Japanese for {template!r}"
    return translated


def _ja_plural(singular: str, plural: str, n: int) -> str:
    with domain.i18n.language("ja"):
        translated = ntr(singular, plural, n)
    assert translated not in (singular, plural), f"no Japanese for {singular!r}"
    return translated


def _features(geoms: list[shapely.Geometry | None], **columns: list[object]) -> Features:
    frame = gpd.GeoDataFrame({"id": [f"s{i}" for i in range(len(geoms))], **columns},
                             geometry=geoms, crs="EPSG:4326")
    return Features.of(frame)


CHOICES = ("Choose WGS 84 (EPSG:4326), JGD2011 (EPSG:6668), its plane rectangular zones "
           "I–XIX (EPSG:6669–6687) or UTM 51N–55N (EPSG:6688–6692), or the Tokyo datum "
           "(EPSG:4301, 30161–30179, 3092–3096).")


def test_a_coordinate_system_not_offered_is_refused_in_japanese() -> None:
    english, japanese = _both(lambda: output_crs("EPSG:32654"))
    assert english == "crs EPSG:32654 is not offered: c" + CHOICES[1:]
    choices = _ja(CHOICES)
    assert japanese == _ja("crs EPSG:{code} is not offered: {choices}").format(
        code=32654, choices=choices[0].lower() + choices[1:])
    english, japanese = _both(lambda: output_crs("plane IX"))
    assert english == ("crs 'plane IX' is not a coordinate system: write an EPSG code such as "
                       "EPSG:6677. " + CHOICES)
    assert japanese == _ja("crs {given} is not a coordinate system: write an EPSG code such "
                           "as EPSG:6677. {choices}").format(given="'plane IX'",
                                                             choices=choices)
    assert "EPSG:6677" in japanese and "'plane IX'" in japanese


def test_geojson_in_a_plane_zone_is_refused_in_japanese() -> None:
    zone = output_crs("EPSG:6677")
    english, japanese = _both(lambda: refuse_crs(ExportFormat.KML, zone), UnsupportedFormat)
    assert english == ("KML is always in WGS 84 longitude/latitude (the KML standard), so it "
                       "cannot be written in EPSG:6677: choose GeoPackage, Shapefile, "
                       "GeoParquet or CSV for JGD2011 / Japan Plane Rectangular CS IX.")
    assert japanese == _ja(
        "{format} is always in WGS 84 longitude/latitude ({standard}), so it cannot be "
        "written in {srs}: choose GeoPackage, Shapefile, GeoParquet or CSV for {name}."
    ).format(format="KML", standard=_ja("the KML standard"), srs="EPSG:6677",
             name="JGD2011 / Japan Plane Rectangular CS IX")  # EPSG's name as it is


def test_a_shapefile_of_mixed_geometries_is_refused_in_japanese() -> None:
    mixed = _features([shapely.Point(140, 36), shapely.box(139, 35, 139.5, 35.5)])
    english, japanese = _both(
        lambda: export_features(mixed, ExportFormat.SHP, stem="x"), UnsupportedFormat)
    assert english == ("A Shapefile holds one kind of geometry; this selection has point and "
                       "polygon geometries. Choose GeoPackage or GeoJSON instead.")
    kinds = _ja("{first} and {second}").format(first=_ja("point"), second=_ja("polygon"))
    assert japanese == _ja("A Shapefile holds one kind of geometry; this selection has {kinds} "
                           "geometries. Choose GeoPackage or GeoJSON instead.").format(
                               kinds=kinds)


def test_the_notes_of_an_export_are_in_japanese() -> None:
    features = _features([shapely.Point(140, 36), None, None],
                         name=["=HYPERLINK()", "Li", "Ni"])
    english = export_features(features, ExportFormat.CSV, stem="x").notes
    with domain.i18n.language("ja"):
        japanese = export_features(features, ExportFormat.CSV, stem="x").notes
    template = ("{count} CSV cell starting with =, +, -, @, tab or carriage return was "
                "prefixed with ' so spreadsheets show it as text.")
    plural = ("{count} CSV cells starting with =, +, -, @, tab or carriage return were "
              "prefixed with ' so spreadsheets show them as text.")
    assert english == [template.format(count=1)]
    assert japanese == [_ja_plural(template, plural, 1).format(count=1)]

    english = export_features(features, ExportFormat.KML, stem="x").notes
    with domain.i18n.language("ja"):
        japanese = export_features(features, ExportFormat.KML, stem="x").notes
    assert english == ["2 features without a location were left out: KML cannot hold a "
                       "feature with no geometry."]
    assert japanese == [_ja_plural(
        "{count} feature without a location was left out: {format} cannot hold a feature with "
        "no geometry.", "{count} features without a location were left out: {format} cannot "
        "hold a feature with no geometry.", 2).format(count=2, format="KML")]


def test_the_area_of_use_note_and_format_names_are_in_japanese() -> None:
    zone = output_crs(6677)
    singular = ("{count} site lies outside the area of use of {crs}: its coordinates are "
                "computed all the same, but that system is not meant for it (distorted, or off "
                "its datum); choose one that covers it.")
    plural = ("{count} sites lie outside the area of use of {crs}: their coordinates are "
              "computed all the same, but that system is not meant for them (distorted, or "
              "off its datum); choose one that covers them.")
    assert area_note(1, zone) == [singular.format(count=1, crs=zone.label)]
    with domain.i18n.language("ja"):
        japanese = area_note(1_200, zone)
        label = ExportFormat.KML.label
    assert japanese == [_ja_plural(singular, plural, 1_200).format(count="1,200",
                                                                   crs=zone.label)]
    assert ExportFormat.KML.label == "KML (Google Earth)"
    assert label == _ja("KML (Google Earth)")
    assert ExportFormat.GEOJSON.label == "GeoJSON"


def test_the_pictures_texts_are_in_japanese() -> None:
    assert picture_title("All sites", "public", 3, 4) == (
        f"{marking_line('public')} · All sites  (3 of 4 sites located)")
    assert labels_note(12, 30, crowded_out=18) == (
        "12 of 30 sites labelled; where crowded, the sites listed first keep theirs")
    with domain.i18n.language("ja"):
        title = picture_title("全サイト", "public", 3, 4)
        note = labels_note(12, 30, crowded_out=18)
        boxes = lettering_note(["住友金属鉱山"], 13, files=[])
    assert title == _ja("{marking} · {title}  ({shown} of {total} sites located)").format(
        marking=_ja("Handling marking: {label} ({code})").format(label="公開", code="public"),
        title="全サイト", shown=3, total=4)
    assert note == (_ja_plural("{labelled} of {shown} site labelled",
                               "{labelled} of {shown} sites labelled", 30).format(
                                   labelled=12, shown=30)
                    + _ja("; where crowded, the sites listed first keep theirs"))
    assert boxes == _ja(
        "Japanese names are drawn as boxes: no Japanese font is installed on the server; "
        "install Debian's {package} (scripts/install_fonts.sh) or fonts-noto-cjk and make the "
        "picture again.").format(package="fonts-ipafont-gothic")


def test_the_packs_readme_is_written_in_the_requests_language() -> None:
    selection = parse_selection({}, TODAY)
    made = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)

    def readme() -> str:
        return _readme(selection, made, date(2026, 4, 1), 3, 1, [], ["a note"], "public")

    english = readme()
    with domain.i18n.language("ja"):
        japanese = readme()
    assert "permitmap briefing pack" in english.splitlines()
    assert ("Permitting state as the record stood at the end of 2026-06-30; 1 permitting "
            "project. Each site's development status and its date are the site record's "
            "current ones.") in english.splitlines()
    lines = japanese.splitlines()
    assert _ja("permitmap briefing pack") in lines
    assert _ja("Change history from {since} to {until}.").format(
        since="2026-04-01", until="2026-06-30") in lines
    assert "  " + _ja("change_history.csv: dated changes to those projects in the period") in lines
    assert "  - a note" in lines
    assert "permitmap briefing pack" not in japanese


@pytest.fixture
def store(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    return seeded_store(database_url, tmp_path, monkeypatch)


def test_a_marking_above_the_clearance_is_refused_in_japanese_and_audited_in_english(
        store: Engine) -> None:
    with Session(store) as session:
        site = str(session.scalars(select(Site.id).order_by(Site.id)).first())
    editor = Principal("ed", Role.EDITOR, "controlled")
    lower = Principal("bo", Role.EDITOR, "business-proprietary")
    set_marking(store, "site", site, "controlled", principal=editor, attribute="operator")
    english, japanese = _both(lambda: set_marking(store, "site", site, "public",
                                                  principal=lower, attribute="operator"),
                              AccessDenied)
    assert english == ("The operator of this site is marked controlled, above your clearance "
                       "(business-proprietary): only someone cleared for it can change that "
                       "marking.")
    assert japanese == _ja(
        "The {attribute} of this {kind} is marked {marking}, above your clearance "
        "({clearance}): only someone cleared for it can change that marking.").format(
            attribute="operator", kind=_ja("site"), marking="controlled",
            clearance="business-proprietary")
    refused = audit_rows(store, action="mark")
    refused = refused[refused["outcome"] == "refused"]
    assert refused["detail"].tolist() == [english, english]  # the audit trail stays English


def test_the_pictures_marking_line_and_scale_bar_in_japanese_files_unchanged() -> None:
    from domain.vocab_names import japanese_name
    from exports.briefing_picture import picture_title
    from exports.marking import csv_text, marking_line
    from exports.picture_scale import ScaleBar

    english_title = picture_title("All sites", "controlled", 3, 4)
    with language("ja"):
        title = picture_title("All sites", "controlled", 3, 4)
        scale = ScaleBar(1000, 180.0, 37.6).label
        south = ScaleBar(0.5, 150.0, -12.2).label
        csv_first_line = csv_text(pd.DataFrame({"a": [1]}), "controlled").splitlines()[0]
    name = japanese_name("marking", "controlled")
    assert name and name in title and "Handling marking" not in title
    assert "Handling marking: Controlled (controlled)" in english_title
    assert scale != "1,000 km at 38° N" and "1,000 km" in scale and "38" in scale
    assert south != "500 m at 12° S" and "500 m" in south
    assert ScaleBar(1000, 180.0, 37.6).label == "1,000 km at 38° N"
    assert csv_first_line == "\ufeff# " + marking_line("controlled")  # files: one language
