"""A briefing pack: one zip with the selected sites (GeoJSON and CSV), their permit
timetables, the change history for the period, a picture of the map, the metadata of the
survey layers included, and a README stating filters, date and sources."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from domain.access import PUBLIC, Action, Principal, highest_marking
from domain.bbox import BBox
from domain.colours import STATUS_COLOURS
from domain.i18n import ntr, tr
from domain.settings import DATA_DIR
from exports.briefing_picture import map_picture
from exports.formats import (
    ExportFile,
    ExportFormat,
    export_features,
    neutralise_formulas,
)
from exports.marking import csv_text, marking_line
from exports.picture_text import FONT_FILES
from permits.dates import shown_column
from services.chokepoints import regions_file
from services.site_export import (
    permit_state,
    readable_sites,
    record_release,
    released_marking,
    selection_target,
)
from sites.chokepoints import chokepoint_table, read_regions
from sites.selection import SiteSelection, export_frame, select_sites
from store.acting import require
from store.layer_repo import LayerRecord, list_layers

TIMETABLE_COLUMNS = ["site_id", "project_id", "project", "action_id", "milestone_id",
                     "milestone", "baseline_target", "current_target", "actual_completion",
                     "baseline_target_precision", "current_target_precision",
                     "actual_completion_precision", "state", "slip_days", "business_days_late",
                     "source"]
DEFAULT_PERIOD = timedelta(days=90)


@dataclass(frozen=True)
class PackOptions:
    """What goes into a pack besides the sites."""

    basemap: Path
    colours: dict[str, str]
    lines: Path | None = None  # border lines drawn over the outlines (US states)
    since: date | None = None  # history from this day (default: 90 days before as-of)
    layer_ids: tuple[str, ...] | None = None  # survey layers listed (default: all shown)
    notes: list[str] = field(default_factory=list)
    fonts: tuple[Path, ...] = FONT_FILES  # the picture's lettering, first that has a name's

    @classmethod
    def bundled(cls, since: date | None = None) -> PackOptions:
        """The bundled 1:50m country outlines and the web map's status colours."""
        return cls(basemap=DATA_DIR / "basemap" / "countries-50m.geojson",
                   colours=STATUS_COLOURS, since=since,
                   lines=DATA_DIR / "basemap" / "us-state-lines.geojson")


def briefing_pack(engine: Engine, selection: SiteSelection, today: date,
                  exported_at: datetime, options: PackOptions, *,
                  principal: Principal) -> ExportFile:
    """The pack as a zip named after what it holds: the sites and survey layers
    ``principal`` may see; audited as a "briefing" (filter, sites, highest marking).

    Every file states a handling marking first: the sites files, timetables, history and
    picture that of the sites (the highest of their rows); the README that of the whole
    pack, survey layers included."""
    require(engine, principal, Action.EXPORT, "briefing", selection_target(selection))
    state = permit_state(engine, selection.as_of, today)
    stored = readable_sites(engine, principal)
    sites = export_frame(stored, state.sites, selection, exported_at)
    # only the selected sites' projects: a site the clearance does not reach takes its with it
    projects = state.data.projects[state.data.projects["site_id"].isin(sites.columns["id"])]
    since = options.since or selection.as_of - DEFAULT_PERIOD
    stem = selection.file_stem()
    marking = released_marking(sites)
    geojson = export_features(sites, ExportFormat.GEOJSON, stem=stem, marking=marking)
    csv = export_features(sites, ExportFormat.CSV, stem=stem, marking=marking)
    picture = map_picture(sites.to_geodataframe(), options.basemap,
                          selection.describe().capitalize(), options.colours, selection.bbox,
                          options.lines, marking, fonts=options.fonts)
    layers = [r for r in _layers(engine, options.layer_ids, selection.bbox)
              if principal.may_see(_marking_of(r))]
    pack_marking = highest_marking([marking, *(_marking_of(r) for r in layers)])
    files = {
        geojson.file_name: geojson.data,
        csv.file_name: csv.data,
        "permit_timetables.csv": _csv(_timetables(state.derived, projects), marking),
        "change_history.csv": _csv(_history(state.changes, projects, since, selection.as_of),
                                   marking),
        "map.png": picture.png,
        "survey_layers.json": json.dumps([_layer_meta(r) for r in layers], indent=2,
                                         ensure_ascii=False, default=str).encode(),
        "chokepoints.csv": _csv(chokepoint_table(select_sites(stored, selection),
                                                 read_regions(regions_file())), marking),
    }
    files["README.txt"] = _readme(selection, exported_at, since, len(sites.columns),
                                  len(projects), layers,
                                  geojson.notes + csv.notes + picture.notes + options.notes,
                                  pack_marking).encode()
    pack = ExportFile(_zip(files), f"briefing_{stem}.zip", "application/zip",
                      geojson.notes + csv.notes + picture.notes)
    layer_note = f"; {len(layers)} survey layers" if layers else ""
    record_release(engine, principal, "briefing", selection, sites, stored,
                   f"{len(projects)} permitting project{'' if len(projects) == 1 else 's'}"
                   f"{layer_note}",
                   tuple(_marking_of(r) for r in layers))
    return pack


def _marking_of(record: LayerRecord) -> str:
    return getattr(record, "marking", None) or PUBLIC


def _timetables(derived: pd.DataFrame, projects: pd.DataFrame) -> pd.DataFrame:
    rows = derived[derived["project_id"].isin(projects["project_id"])].merge(
        projects[["project_id", "site_id", "title"]], on="project_id")
    rows = rows.rename(columns={"title": "project", "name": "milestone"})
    for column in ("baseline_target", "current_target", "actual_completion"):
        rows[column] = shown_column(rows, column)  # "2020-05" for a month, not a made-up day
    return rows[TIMETABLE_COLUMNS].sort_values(["site_id", "project_id", "action_id"])


def _history(changes: pd.DataFrame, projects: pd.DataFrame, since: date,
             until: date) -> pd.DataFrame:
    day = pd.to_datetime(changes["changed_at"], utc=True).dt.date
    wanted = changes["project_id"].isin(projects["project_id"]) & (day >= since) & (day <= until)
    return changes[wanted].drop(columns=["change_id"])


def _layers(engine: Engine, layer_ids: tuple[str, ...] | None,
            bbox: BBox | None) -> list[LayerRecord]:
    """The layers asked for (default: those shown on the map), and of those with an extent
    only the ones that meet the selection's extent."""
    records = list_layers(engine, include_hidden=False)
    chosen = records if layer_ids is None else [r for r in records if r.id in layer_ids]
    return [r for r in chosen
            if bbox is None or r.bounds is None or BBox.of(r.bounds).meets(bbox)]


def _layer_meta(record: LayerRecord) -> dict[str, object]:
    return {"id": record.id, "name": record.name, "kind": record.kind,
            "description": record.description, "source": record.source,
            "licence": record.licence, "surveyed_on": record.surveyed_on,
            "uploaded_by": record.uploaded_by, "uploaded_at": record.uploaded_at,
            "original_file": record.original_filename, "sha256": record.checksum,
            "original_crs": record.original_crs, "features": record.feature_count,
            "extent_lonlat": record.bounds, "marking": _marking_of(record)}


def _readme(selection: SiteSelection, exported_at: datetime, since: date, n_sites: int,
            n_projects: int, layers: list[LayerRecord], notes: list[str],
            marking: str) -> str:
    """The pack's README, in the language of the request (file and column names as they
    are)."""
    not_stated = tr("not stated")
    layer_lines = ["  - " + tr("{name} ({kind}; source: {source}; licence: {licence}; "
                               "marking: {marking})").format(
                                   name=r.name, kind=r.kind, source=r.source or not_stated,
                                   licence=r.licence or not_stated, marking=_marking_of(r))
                   for r in layers] or ["  - " + tr("none")]
    return "\n".join([
        tr("{marking} (the highest marking of this pack's contents)").format(
            marking=marking_line(marking)),
        "",
        tr("permitmap briefing pack"),
        "",
        tr("Sites: {count} ({selection}).").format(count=n_sites,
                                                   selection=selection.describe()),
        ntr("Permitting state as the record stood at the end of {date}; {count} permitting "
            "project. Each site's development status and its date are the site record's "
            "current ones.",
            "Permitting state as the record stood at the end of {date}; {count} permitting "
            "projects. Each site's development status and its date are the site record's "
            "current ones.", n_projects).format(date=selection.as_of.isoformat(),
                                                count=n_projects),
        tr("Change history from {since} to {until}.").format(
            since=since.isoformat(), until=selection.as_of.isoformat()),
        tr("Made {when}.").format(when=exported_at.isoformat(timespec="seconds")),
        "",
        tr("Files:"),
        "  " + tr("sites .geojson / .csv: the sites, one row each, with status, stage, "
                  "schedule health, next milestone and its date, slip days and source"),
        "  " + tr("permit_timetables.csv: every milestone of those sites' projects, derived "
                  "state"),
        "  " + tr("change_history.csv: dated changes to those projects in the period"),
        "  " + tr("map.png: the sites over country outlines (Natural Earth, public domain)"),
        "  " + tr("survey_layers.json: metadata of the survey layers included"),
        "  " + tr("chokepoints.csv: these sites by commodity, supply-chain stage and region "
                  "(United States, Japan, partner countries, rest): producing, under "
                  "construction, in permitting; 'sources' says where a stage has one "
                  "producing site or none"),
        "",
        tr("Survey layers:"), *layer_lines,
        "",
        tr("Sources: each site and milestone row names its own source (column 'source'); the "
           "bundled data's provenance is in data/PROVENANCE.md of permitmap."),
        *(["", tr("Notes:"), *(f"  - {n}" for n in notes)] if notes else []),
        "",
    ])


def _csv(frame: pd.DataFrame, marking: str) -> bytes:
    """UTF-8 with a byte-order mark (Excel), the marking line first (as in every CSV export),
    text cells that look like formulas neutralised."""
    frame = frame.copy()
    for column in frame.columns:
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            frame[column] = neutralise_formulas(frame[column])[0]
    return csv_text(frame, marking).encode("utf-8")


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()
