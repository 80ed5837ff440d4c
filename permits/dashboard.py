"""Import the Federal Permitting Dashboard full dataset (mcm3-xbid): API JSON rows or CSV export.

One row per (project, action, milestone) becomes our three frames. The shape is detected from
the content; headers are matched through ``permits.dashboard_columns``. Work is vectorised:
per-value Python runs only once per distinct value, or on the small project and action frames.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from domain.i18n import N_, tr
from permits.dashboard_columns import (
    ACTION_FIELDS,
    FIELDS,
    MILESTONE_FIELDS,
    PROJECT_FIELDS,
    USED_FIELDS,
    describe,
    field_for,
    flag_values,
    latlong_point,
    missing_requirements,
    parse_dates,
    resolve_headers,
    scalar_text,
    text_values,
    url_text,
)
from permits.errors import DashboardFileError, DashboardLayoutError
from permits.schema import ACTION_COLUMNS, MILESTONE_COLUMNS, PROJECT_COLUMNS, Kind, conform

JSON_SHAPE = "API JSON rows"
CSV_SHAPE = "CSV export"
DATASET = "permitting-dashboard"
DEFAULT_SOURCE = "Permitting Dashboard full dataset (mcm3-xbid)"
EXPECTED = N_("the Permitting Dashboard full dataset export, CSV or API JSON")
_SEPARATORS = (",", ";", "\t", "|")
_RAW_FIELDS = frozenset({"project_url", "project_latlong"})  # may hold JSON objects


@dataclass(frozen=True)
class RowProblem:
    """A row skipped or a value left empty, with the row number the user sees."""

    row_number: int  # CSV: spreadsheet row (header is row 1); JSON: position in the list
    reason: str


@dataclass(frozen=True, eq=False)
class DashboardBatch:
    """The three frames read from one dashboard file, and what happened to its rows."""

    projects: pd.DataFrame
    actions: pd.DataFrame
    milestones: pd.DataFrame
    rows_read: int
    shape: str  # JSON_SHAPE or CSV_SHAPE
    problems: list[RowProblem]
    last_data_fetched: str  # ISO date-time when it parses, else as written; "" when absent
    ignored_columns: tuple[str, ...] = ()  # headers that name no known dashboard field

    def fetched_at(self) -> datetime | None:
        """When the dashboard's data was fetched (a time without a zone is UTC, as the
        dashboard's API gives it), or None when the file does not say or says it unreadably."""
        try:
            when = datetime.fromisoformat(self.last_data_fetched)
        except ValueError:
            return None
        return when if when.tzinfo else when.replace(tzinfo=UTC)


def read_dashboard(path: Path) -> DashboardBatch:
    """Read a Permitting Dashboard export (CSV or API JSON) into the permits frames."""
    head = _head(path)
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"[", b"{"):
        (frame, headers), shape, first_row = _read_json(path), JSON_SHAPE, 1
    else:
        (frame, headers), shape, first_row = _read_csv(path, head), CSV_SHAPE, 2
    found = resolve_headers(headers)
    if frame.empty:
        raise DashboardFileError(tr("{name} has column names but no data rows: export the "
                                    "dataset again with its rows.").format(name=path.name))
    raw = pd.DataFrame({f: frame[h] if f in _RAW_FIELDS else text_values(frame[h])
                        for f, h in found.items() if h in frame.columns})
    raw.index = pd.RangeIndex(first_row, first_row + len(raw))
    ignored = tuple(h for h in headers if field_for(h) is None)
    return _batch(raw, shape, ignored)


# --- reading the two shapes -------------------------------------------------------------

def _head(path: Path) -> bytes:
    """The first bytes, after refusing empty, compressed and binary files."""
    try:
        with path.open("rb") as handle:
            head = handle.read(65536)
    except OSError as exc:
        raise DashboardFileError(tr("Cannot read {name}: {error}.").format(
            name=path.name, error=exc.strerror or exc)) from exc
    if not head.strip(b"\xef\xbb\xbf \t\r\n"):
        raise DashboardFileError(tr("{name} is empty: expected {expected}.").format(
            name=path.name, expected=tr(EXPECTED)))
    if head.startswith((b"PK\x03\x04", b"\x1f\x8b")):
        raise DashboardFileError(tr("{name} is a zip, gzip or Excel file: unzip it, or save the "
                                    "sheet as CSV; expected {expected}.").format(
                                        name=path.name, expected=tr(EXPECTED)))
    if b"\x00" in head:
        raise DashboardFileError(tr("{name} is a binary file, not text: expected {expected}.")
                                 .format(name=path.name, expected=tr(EXPECTED)))
    return head


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _read_json(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """The used fields as object columns (row objects may omit null fields), and all keys."""
    try:
        document = json.loads(_decode(path.read_bytes()))
    except json.JSONDecodeError as exc:
        raise DashboardFileError(
            tr("{name} starts like JSON but is not valid JSON ({error}, line {line}): download "
               "it again; expected {expected}.").format(
                name=path.name, error=exc.msg, line=exc.lineno, expected=tr(EXPECTED))) from exc
    rows = _json_rows(document, path.name)
    if not rows:
        raise DashboardFileError(tr("{name} holds an empty list of rows: download the dataset "
                                    "again with its rows.").format(name=path.name))
    keys: dict[str, object] = {}
    for row in rows:
        keys.update(row)
    headers = [str(k) for k in keys]
    found = resolve_headers(headers)
    _check_layout(path.name, found, headers)
    used = [found[f] for f in USED_FIELDS if f in found]
    frame = pd.DataFrame({h: pd.Series([r.get(h) for r in rows], dtype=object) for h in used})
    return frame, headers


def _json_rows(document: object, name: str) -> list[dict[str, object]]:
    """Row objects from a list, from {"data"|"rows"|"results": [...]}, or Socrata rows.json."""
    rows = document
    if isinstance(document, dict):
        rows = next((document[k] for k in ("data", "rows", "results")
                     if isinstance(document.get(k), list)), None)
        columns = document.get("meta", {}).get("view", {}).get("columns", [])
        if isinstance(rows, list) and rows and isinstance(rows[0], list) and columns:
            names = [str(c.get("fieldName", "")) for c in columns]
            return [dict(zip(names, row, strict=False)) for row in rows]
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise DashboardLayoutError(
            tr("{name} holds JSON but not a list of row objects: expected {expected} (a list of "
               "rows, or an object with the list under \"data\").").format(
                name=name, expected=tr(EXPECTED)))
    return rows


def _read_csv(path: Path, head: bytes) -> tuple[pd.DataFrame, list[str]]:
    """The used columns as text, and all headers; the layout is checked before the full read."""
    first_line = _decode(head).splitlines()[0]
    separator = max(_SEPARATORS, key=first_line.count)
    headers = next(csv.reader([first_line], delimiter=separator))
    found = resolve_headers(headers)
    _check_layout(path.name, found, headers)
    wanted = {found[f] for f in USED_FIELDS if f in found}
    usecols = [h for h in headers if h in wanted]
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            frame = _csv(path, separator, usecols, encoding)
        except UnicodeDecodeError:
            continue
        except pd.errors.ParserError as exc:
            if "UTF8" in str(exc) or "decode" in str(exc):
                continue
            raise DashboardFileError(tr("{name} is not a well-formed CSV table ({error}): "
                                        "export it again with one header row.").format(
                                            name=path.name, error=exc)) from exc
        return frame, headers
    raise DashboardFileError(  # latin-1 never fails
        tr("{name} cannot be decoded as text.").format(name=path.name))


def _csv(path: Path, separator: str, usecols: list[str], encoding: str) -> pd.DataFrame:
    options = {"sep": separator, "dtype": str, "keep_default_na": False, "usecols": usecols,
               "encoding": encoding}
    try:  # pyarrow's reader is about five times faster on large exports
        return pd.read_csv(path, engine="pyarrow", **options)  # type: ignore[call-overload]
    except ImportError:
        return pd.read_csv(path, **options)  # type: ignore[call-overload]


def _check_layout(name: str, found: dict[str, str], headers: list[str]) -> None:
    missing = missing_requirements(found)
    if not missing:
        return
    shown = ", ".join(headers[:12]) + (", ..." if len(headers) > 12 else "")
    raise DashboardLayoutError(
        tr("{name} is not a Permitting Dashboard export: it lacks the columns {missing}. "
           "Expected {expected} (dataset mcm3-xbid); the file has the columns: {columns}.")
        .format(name=name, missing="; ".join(describe(need) for need in missing),
                expected=tr(EXPECTED), columns=shown or tr("none")))


# --- building the frames --------------------------------------------------------------

def _batch(raw: pd.DataFrame, shape: str, ignored: tuple[str, ...]) -> DashboardBatch:
    rows, problems = _usable_rows(raw)
    projects = _projects(rows)
    sources = pd.Series(projects["source"].to_numpy(), index=projects["project_id"])
    actions = _actions(rows, sources)
    milestones, date_problems = _milestones(rows, sources)
    problems.extend(date_problems)
    return DashboardBatch(
        projects=projects, actions=actions, milestones=milestones, rows_read=len(raw),
        shape=shape, problems=sorted(problems, key=lambda p: p.row_number),
        last_data_fetched=_fetched(raw.get("last_data_fetched")), ignored_columns=ignored)


def _column(rows: pd.DataFrame, field: str) -> pd.Series:
    if field in rows.columns:
        return rows[field]
    return pd.Series("", index=rows.index, dtype=str)


def _usable_rows(raw: pd.DataFrame) -> tuple[pd.DataFrame, list[RowProblem]]:
    """Rows with the three ids (prefixed), the last of each repeated milestone."""
    milestone = _column(raw, "milestone_id").str.strip()
    rows = raw.assign(
        project_key=_column(raw, "project_id").str.strip(),
        action_key=_column(raw, "action_id").str.strip(),
        milestone_key=milestone.where(milestone != "", _column(raw, "unique_id").str.strip()))
    keys = {"project_key": ("project_id",), "action_key": ("action_id",),
            "milestone_key": ("milestone_id", "unique_id")}
    problems: list[RowProblem] = []
    lacking = pd.Series(False, index=rows.index)
    no_key = tr("row {row} has no {fields}; it was skipped")
    for key, fields in keys.items():
        empty = (rows[key] == "") & ~lacking
        problems += [RowProblem(int(n), no_key.format(row=n, fields=describe(fields)))
                     for n in rows.index[empty] if not _blank(raw.loc[n])]
        lacking |= empty
    rows = rows[~lacking]
    repeated = rows["milestone_key"].duplicated(keep="last")
    if repeated.any():
        numbers = pd.Series(rows.index.to_numpy(), index=rows.index)
        kept = numbers.groupby(rows["milestone_key"]).transform("last")
        again = tr("row {row} repeats milestone {id} of row {earlier}; the later row was kept")
        problems += [RowProblem(int(n), again.format(row=k, id=key, earlier=n))
                     for n, k, key in zip(numbers[repeated], kept[repeated],
                                          rows.loc[repeated, "milestone_key"], strict=True)]
        rows = rows[~repeated]
    return rows, problems


def _blank(row: pd.Series) -> bool:
    return all(not isinstance(v, str) or not v.strip() for v in row.to_numpy())


def _projects(rows: pd.DataFrame) -> pd.DataFrame:
    first = rows.drop_duplicates("project_key")
    frame = _fields(first, PROJECT_FIELDS, PROJECT_COLUMNS)
    frame["project_id"] = "fpd-" + first["project_key"]
    frame["url"] = _column(first, "project_url").map(url_text)
    lat, lon = _coordinates(first)
    frame["lat"], frame["lon"] = lat, lon
    frame["dataset"] = DATASET
    frame["source"] = frame["url"].where(frame["url"] != "", DEFAULT_SOURCE)
    return _finish(frame, PROJECT_COLUMNS)


def _actions(rows: pd.DataFrame, sources: pd.Series) -> pd.DataFrame:
    first = rows.drop_duplicates("action_key")
    frame = _fields(first, ACTION_FIELDS, ACTION_COLUMNS)
    frame["action_id"] = "fpd-a" + first["action_key"]
    frame["project_id"] = "fpd-" + first["project_key"]
    frame["source"] = frame["project_id"].map(sources)
    return _finish(frame, ACTION_COLUMNS)


def _milestones(rows: pd.DataFrame, sources: pd.Series
                ) -> tuple[pd.DataFrame, list[RowProblem]]:
    frame = _fields(rows, MILESTONE_FIELDS, MILESTONE_COLUMNS)
    frame["milestone_id"] = "fpd-m" + rows["milestone_key"]
    frame["action_id"] = "fpd-a" + rows["action_key"]
    frame["project_id"] = "fpd-" + rows["project_key"]
    frame["sequence"] = rows.groupby("action_key", sort=False).cumcount() + 1
    depends = _column(rows, "dependency_milestone_id").str.strip()
    several = depends.str.contains(r"[,;\s]", regex=True)  # keep the first id listed
    depends = depends.mask(several, depends[several].str.replace(r"[,;\s].*$", "", regex=True))
    frame["depends_on"] = ("fpd-m" + depends).where(depends != "", "")
    frame["source"] = frame["project_id"].map(sources)
    problems = _bad_dates(rows, frame, MILESTONE_FIELDS, MILESTONE_COLUMNS)
    return _finish(frame, MILESTONE_COLUMNS), problems


def _fields(rows: pd.DataFrame, fields: dict[str, str], kinds: dict[str, Kind]) -> pd.DataFrame:
    """Our columns from the dashboard fields, dates and flags already typed."""
    frame = pd.DataFrame(index=rows.index)
    for column, field in fields.items():
        values = _column(rows, field)
        if kinds[column] == "date":
            frame[column] = parse_dates(values)
        elif kinds[column] == "flag":
            frame[column] = flag_values(values)
        else:
            frame[column] = values if field not in _RAW_FIELDS else values.map(scalar_text)
    return frame


def _bad_dates(rows: pd.DataFrame, frame: pd.DataFrame, fields: dict[str, str],
               kinds: dict[str, Kind]) -> list[RowProblem]:
    """A problem for each date text that did not parse (the date is left empty)."""
    problems: list[RowProblem] = []
    not_date = tr("row {row}: {field} '{value}' is not a date; left empty")
    for column, field in fields.items():
        if kinds[column] != "date" or field not in rows.columns:
            continue
        bad = frame[column].isna() & (rows[field].str.strip() != "")
        label = FIELDS[field] or field
        problems += [RowProblem(int(n), not_date.format(row=n, field=label, value=text))
                     for n, text in zip(rows.index[bad], rows.loc[bad, field], strict=True)]
    return problems


def _finish(frame: pd.DataFrame, columns: dict[str, Kind]) -> pd.DataFrame:
    return conform(frame.reset_index(drop=True), columns)[list(columns)]


def _fetched(values: pd.Series | None) -> str:
    """The first ``last_data_fetched`` value, as ISO date-time when it parses."""
    if values is None or not (given := values[values.str.strip() != ""]).size:
        return ""
    text = str(given.iloc[0]).strip()
    when = pd.to_datetime(pd.Series([text]), format="mixed", errors="coerce").iloc[0]
    return text if pd.isna(when) else when.isoformat()


def _coordinates(first: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """project_lat/project_lon, else the point in project_latlong; NaN when out of range."""
    lat = pd.to_numeric(_column(first, "project_lat"), errors="coerce")
    lon = pd.to_numeric(_column(first, "project_lon"), errors="coerce")
    points = [latlong_point(v) for v in _column(first, "project_latlong")]
    gap = lat.isna() | lon.isna()
    lat = lat.where(~gap, pd.Series([p[0] for p in points], index=first.index)).astype(float)
    lon = lon.where(~gap, pd.Series([p[1] for p in points], index=first.index)).astype(float)
    bad = ~lat.between(-90, 90) | ~lon.between(-180, 180) | ((lat == 0) & (lon == 0))
    return lat.mask(bad), lon.mask(bad)
