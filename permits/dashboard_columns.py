"""The Permitting Dashboard's format: field names, CSV display names, our columns, value forms.

One table (``FIELDS``) so a wrong display name is corrected in one place. The display names
come from public parsers of the CSV export (official metadata not seen); columns without a
known display name are matched by field name, ignoring case, spaces and punctuation. The
value helpers below read what either shape writes (JSON booleans or words, ISO or US dates,
URL objects, location objects or WKT), once per distinct value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from domain.i18n import tr

TRUE_WORDS = ("true", "yes", "y", "1", "t", "x")
DATE_FORMATS = ("ISO8601", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y", "%m/%d/%Y %H:%M:%S",
                "%m/%d/%Y %H:%M")

# SODA API field name -> CSV display name ("" when the export's name is not known).
FIELDS: dict[str, str] = {
    # Project (repeated on every row of the project)
    "project_id": "Project ID",
    "project_title": "Project",
    "project_field_project_lead_agency": "Project Lead Agency",
    "project_field_project_lead_agency_bureau": "",
    "project_category": "",
    "project_field_project_status": "Project Status",
    "project_sector": "Project Sector",
    "project_sector_type": "Project Sector Type",
    "project_field_project_sponsor_agency": "Project Sponsor",
    "project_field_location_state": "Project Location State",
    "project_field_location_county": "Project Location County",
    "project_field_location_city": "",
    "project_field_location_other": "",
    "project_lat": "",
    "project_lon": "",
    "project_latlong": "",
    "project_url": "Project Url",
    "project_pause_start": "",
    "project_pause_end": "",
    "total_estimated_project_cost": "Total Estimated Project Cost",
    "project_canonical": "",
    # Seen only as CSV display names: the field names are our guess from those names.
    "project_original_completion_date": "Project Original Completion Date",
    "project_reference_id": "Project Reference Id",
    # Action (one permit, authorization or review; repeated on each of its milestones)
    "action_id": "Action ID",
    "action_type": "Action Type",
    "action_status": "Action Status",
    "action_agency": "Action Responsible Agency",
    "action_description": "",
    "action_agency_status": "",
    "action_agency_declined": "",
    "action_outcome": "",
    "action_identifier": "",
    "action_pause_start": "",
    "action_pause_end": "",
    "action_justification_paused_title": "",
    "action_justification_paused_url": "",
    "action_reference_id": "",
    # Milestone
    "milestone_id": "Milestone ID",
    "unique_id": "",
    "milestone_type": "Milestone Type",
    "action_milestone_name": "Milestone Short Description",
    "action_milestone_details": "",
    "action_milestone_group": "",
    "action_milestone_na": "",
    "action_milestone_complete": "Milestone Complete",
    "action_milestone_completion_target": "Milestone Target Completion Date",
    "action_milestone_completion_actual": "Milestone Actual Completion Date",
    "action_milestone_baseline_target": "",
    "milestone_alternative_completion_date": "",
    "milestone_conditional_target_date": "",
    "milestone_reason_for_date_change": "",
    "dependency_action": "",
    "dependency_action_id": "",
    "dependency_milestone": "",
    "dependency_milestone_id": "",
    "action_milestone_dependencies": "",
    "action_optional_milestone": "",
    "action_milestone_classification": "",
    "action_milestone_final_milestone": "Action Final Milestone",
    "action_triggering_milestone": "",
    "non_conformance_milestone": "",
    # When the publisher extracted the data
    "last_data_fetched": "",
}

# Each requirement is met by any one of its fields (a milestone is named by its type or name;
# ``unique_id`` stands in for ``milestone_id`` in API rows that lack it).
REQUIRED: tuple[tuple[str, ...], ...] = (
    ("project_id",),
    ("project_title",),
    ("action_id",),
    ("action_type",),
    ("milestone_id", "unique_id"),
    ("milestone_type", "action_milestone_name"),
    ("action_milestone_completion_target",),
)

# Our frame columns (permits.schema) -> the dashboard field they come from. Ids, lat/lon,
# dataset and source are derived by the importer.
PROJECT_FIELDS: dict[str, str] = {
    "title": "project_title",
    "status": "project_field_project_status",
    "category": "project_category",
    "lead_agency": "project_field_project_lead_agency",
    "sponsor": "project_field_project_sponsor_agency",
    "sector": "project_sector",
    "state": "project_field_location_state",
    "county": "project_field_location_county",
    "url": "project_url",
    "pause_start": "project_pause_start",
    "pause_end": "project_pause_end",
}
ACTION_FIELDS: dict[str, str] = {
    "action_type": "action_type",
    "agency": "action_agency",
    "status": "action_status",
    "identifier": "action_identifier",
    "description": "action_description",
    "outcome": "action_outcome",
    "pause_start": "action_pause_start",
    "pause_end": "action_pause_end",
    "pause_reason": "action_justification_paused_title",
}
MILESTONE_FIELDS: dict[str, str] = {
    "name": "action_milestone_name",
    "milestone_type": "milestone_type",
    "baseline_target": "action_milestone_baseline_target",
    "current_target": "action_milestone_completion_target",
    "alternative_completion": "milestone_alternative_completion_date",
    "actual_completion": "action_milestone_completion_actual",
    "complete": "action_milestone_complete",
    "not_applicable": "action_milestone_na",
    "reason_for_change": "milestone_reason_for_date_change",
    "final_milestone": "action_milestone_final_milestone",
}
# Fields the importer reads besides the ones above.
ID_FIELDS = ("project_id", "action_id", "milestone_id", "unique_id", "dependency_milestone_id")
LOCATION_FIELDS = ("project_lat", "project_lon", "project_latlong")
USED_FIELDS: tuple[str, ...] = tuple(dict.fromkeys(
    [*ID_FIELDS, *PROJECT_FIELDS.values(), *ACTION_FIELDS.values(), *MILESTONE_FIELDS.values(),
     *LOCATION_FIELDS, "last_data_fetched"]))


def header_key(header: str) -> str:
    """A header without case, spaces, underscores or punctuation.

    >>> header_key("Action Milestone Baseline Target")
    'actionmilestonebaselinetarget'
    >>> header_key("ACTION_MILESTONE_BASELINE_TARGET"), header_key(" Milestone_ID ")
    ('actionmilestonebaselinetarget', 'milestoneid')
    """
    return re.sub(r"[^0-9a-z]+", "", str(header).lower())


def _keys() -> dict[str, str]:
    """Header key -> field, from display names first, then field names."""
    keys: dict[str, str] = {}
    for field, display in FIELDS.items():
        if display:
            keys[header_key(display)] = field
    for field in FIELDS:
        keys.setdefault(header_key(field), field)
    return keys


_FIELD_BY_KEY = _keys()


def field_for(header: str) -> str | None:
    """The dashboard field a column header names, or None.

    >>> field_for("Project"), field_for("project_title"), field_for(" milestone id ")
    ('project_title', 'project_title', 'milestone_id')
    >>> field_for("Milestone Short Description"), field_for("Dev_Stat") is None
    ('action_milestone_name', True)
    """
    return _FIELD_BY_KEY.get(header_key(header))


def resolve_headers(headers: Iterable[str]) -> dict[str, str]:
    """Field -> the header that holds it (the first header naming a field wins).

    >>> resolve_headers(["Project ID", "project_id", "Milestone Type", "notes"])
    {'project_id': 'Project ID', 'milestone_type': 'Milestone Type'}
    """
    found: dict[str, str] = {}
    for header in headers:
        field = field_for(header)
        if field is not None:
            found.setdefault(field, header)
    return found


def missing_requirements(fields: Iterable[str]) -> list[tuple[str, ...]]:
    """The requirements none of whose fields is present.

    >>> missing_requirements(["project_id", "project_title", "action_id", "action_type",
    ...                       "unique_id", "action_milestone_name"])
    [('action_milestone_completion_target',)]
    """
    present = set(fields)
    return [need for need in REQUIRED if not present.intersection(need)]


def describe(fields: tuple[str, ...]) -> str:
    """A requirement in words: CSV display name and field name of each alternative.

    >>> describe(("milestone_type", "action_milestone_name"))
    "'Milestone Type' (milestone_type) or 'Milestone Short Description' (action_milestone_name)"
    >>> describe(("unique_id",))
    'unique_id'
    """
    parts = [f"'{FIELDS[f]}' ({f})" if FIELDS.get(f) else f for f in fields]
    either = tr("{first} or {second}")  # the field names are the dashboard's, never translated
    words = parts[0] if parts else ""
    for part in parts[1:]:
        words = either.format(first=words, second=part)
    return words


# --- values as the dashboard writes them ---------------------------------------------

def text_values(values: pd.Series) -> pd.Series:
    """Any column as text: missing -> "", JSON true -> "true", 12.0 -> "12" (text kept as is).

    >>> list(text_values(pd.Series([True, None, 12.0, " a ", 1.5], dtype=object)))
    ['true', '', '12', 'a', '1.5']
    """
    if isinstance(values.dtype, pd.StringDtype):
        return values.fillna("")
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        return values.fillna("").astype(str)  # JSON text: no per-value work
    try:
        codes, uniques = pd.factorize(values)
    except TypeError:  # unhashable JSON objects: rare, so value by value
        return values.map(scalar_text).astype(str)
    texts = [scalar_text(u) for u in uniques]
    return pd.Series(np.array([*texts, ""], dtype=object)[codes], index=values.index, dtype=str)


def parse_dates(values: pd.Series) -> pd.Series:
    """Dashboard date text (ISO, or MM/DD/YYYY with or without a time) as days; NaT if not.

    Each distinct value is parsed once: explicit formats first, ``format="mixed"`` last.

    >>> parse_dates(pd.Series(["2026-02-13T00:00:00.000", "02/13/2026 12:00:00 AM", "",
    ...                        "13 Feb 2026", "soon"])).dt.strftime("%Y-%m-%d").tolist()
    ['2026-02-13', '2026-02-13', nan, '2026-02-13', nan]
    """
    codes, uniques = pd.factorize(text_values(values))
    texts = pd.Series(uniques, dtype=object).str.strip()
    parsed = pd.Series(pd.NaT, index=texts.index, dtype="datetime64[s]")
    todo = texts != ""
    for fmt in (*DATE_FORMATS, "mixed"):
        if not todo.any():
            break
        got = _to_days(texts[todo], fmt)
        parsed[got.index] = got
        todo &= parsed.isna()
    days = np.append(parsed.to_numpy(), np.datetime64("NaT", "s"))[codes]
    return pd.Series(days, index=values.index, dtype="datetime64[s]")


def _to_days(texts: pd.Series, fmt: str) -> pd.Series:
    try:
        dates = pd.to_datetime(texts, format=fmt, errors="coerce", utc=True)
    except (ValueError, OverflowError):  # "mixed" gives up on some odd inputs
        return pd.Series(pd.NaT, index=texts.index, dtype="datetime64[s]")
    return dates.dt.tz_localize(None).dt.normalize().astype("datetime64[s]")


def flag_values(values: pd.Series) -> pd.Series:
    """JSON booleans or text (true/Yes/Y/1; False/No/empty) as bool.

    >>> flag_values(pd.Series([True, "Yes", "y", "1", "False", "No", "", None])).tolist()
    [True, True, True, True, False, False, False, False]
    """
    return text_values(values).str.strip().str.lower().isin(TRUE_WORDS)


def scalar_text(value: object) -> str:
    """One JSON or text value as text.

    >>> scalar_text(None), scalar_text(False), scalar_text(7.0), scalar_text({"a": 1})
    ('', 'false', '7', '{"a": 1}')
    """
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value).strip()


def url_text(value: object) -> str:
    """A project URL from ``{"url": ...}`` or text ("Title (https://...)" keeps the URL).

    >>> url_text({"url": "https://x.gov/p/1"}), url_text("See (https://x.gov/p/2)"), url_text(None)
    ('https://x.gov/p/1', 'https://x.gov/p/2', '')
    """
    if isinstance(value, dict):
        value = value.get("url", "")
    text = scalar_text(value)
    found = re.search(r"https?://[^\s()]+", text)
    return found.group(0) if found else text


def latlong_point(value: object) -> tuple[float, float]:
    """(lat, lon) from a Socrata location object, GeoJSON point, WKT or "(lat, lon)" text.

    >>> latlong_point({"latitude": "41.7", "longitude": "-118.1"})
    (41.7, -118.1)
    >>> latlong_point("POINT (-118.1 41.7)"), latlong_point("(41.7, -118.1)")
    ((41.7, -118.1), (41.7, -118.1))
    >>> latlong_point({"type": "Point", "coordinates": [-118.1, 41.7]}), latlong_point("")
    ((41.7, -118.1), (nan, nan))
    """
    nan = (float("nan"), float("nan"))
    if isinstance(value, dict):
        if "coordinates" in value and isinstance(value["coordinates"], list):
            return _floats(*reversed(value["coordinates"][:2])) or nan
        return _floats(value.get("latitude"), value.get("longitude")) or nan
    text = scalar_text(value)
    numbers = re.findall(r"-?\d+(?:\.\d+)?", text)
    if len(numbers) != 2:
        return nan
    first, second = (float(n) for n in numbers)
    return (second, first) if text.upper().startswith("POINT") else (first, second)


def _floats(lat: object, lon: object) -> tuple[float, float] | None:
    try:
        return float(str(lat)), float(str(lon))
    except ValueError:
        return None
