"""Read a national deposit table (USGS MRDS, USGS lithium, any CSV of points) into deposit records.

The reader is pure: it returns records shaped like the store's ``deposits`` table and a
report of the rows it skipped and why. Column work is vectorised; per-value Python runs
once per distinct value (commodity lists, statuses, states repeat heavily).

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "sites.csv").write_text("id,name,lat,lon,commodity\\n"
...     "a,Alpha,45.5,-117.25,Lithium; Bromine\\nb,Beta,-9999,-9999,Gold\\n")
>>> table = read_deposit_table(folder / "sites.csv")
>>> table.layout, table.rows_read, list(table.records["commodities"])
('latlon', 2, ['Li;Br'])
>>> table.skipped
[SkippedRow(row_number=3, reason='latitude -9999 is a no-data marker', record_id='b')]
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from domain.i18n import tr
from domain.vocab import DevStatus, PositionQuality, normalise_commodities, normalise_status
from layers.coordinates import LAT_LON_PAIRS, WKT_COLUMNS, RowReasons, wgs84_coordinates
from layers.errors import UnsupportedTable
from layers.table_text import (
    blank_rows,
    clean_text,
    column_keys,
    constant_text,
    detect_encoding,
    join_items,
    map_unique,
    read_text_table,
)
from sites.us_states import US_NAMES, expand_states

RECORD_COLUMNS = (
    "dataset", "source_record_id", "name", "other_names", "country", "admin_area",
    "lat", "lon", "dev_status", "dev_status_original", "commodities", "commodities_original",
    "deposit_type", "position_quality", "position_note", "source",
)  # fmt: skip

USGS_LITHIUM_SOURCE = (
    "USGS Lithium deposits in the United States (Karl and others, 2019), "
    "https://doi.org/10.5066/P9ZKRWQF"
)
ID_COLUMNS = ("record_id", "dep_id", "ftr_id", "site_id", "mrds_id", "deposit_id", "id")
NAME_COLUMNS = ("site_name", "ftr_name", "name", "deposit_name", "dep_name")
OTHER_NAME_COLUMNS = ("other_names", "other_name", "names", "aliases")
ADMIN_COLUMNS = ("state_or_province", "state", "province", "admin_area")
STATUS_COLUMNS = ("dev_stat", "dev_status", "status", "development_status")
COMMODITY_COLUMNS = ("commodity", "commodities", "commod")
MRDS_COMMODITY_COLUMNS = ("commod1", "commod2", "commod3")
DEPOSIT_TYPE_COLUMNS = ("deposit_type", "dep_type", "deposit_model", "model")
SOURCE_COLUMNS = ("ms_uri", "url", "source_url", "source", "source_id", "reference")

# USGS lithium Ftr_Type / Ftr_Group -> development status. The table has no current status
# (that is in its History table): a mine or well may be producing or closed (Kings Mountain),
# so its status is unknown, with the feature type kept as the source's words.
_USGS_FEATURE_STATUS = {
    "mine feature": DevStatus.UNKNOWN, "well": DevStatus.UNKNOWN,
    "brine mine": DevStatus.UNKNOWN, "open pit mine": DevStatus.UNKNOWN,
    "underground mine": DevStatus.UNKNOWN, "surface mine": DevStatus.UNKNOWN,
    "mine": DevStatus.UNKNOWN, "deposit": DevStatus.PROSPECT,
    "prospect": DevStatus.PROSPECT, "occurrence": DevStatus.OCCURRENCE,
    "mineral occurrence": DevStatus.OCCURRENCE, "mineral region": DevStatus.OCCURRENCE,
    "mineral district": DevStatus.OCCURRENCE, "mining district": DevStatus.OCCURRENCE,
    "geothermal reservoir": DevStatus.OCCURRENCE,
}  # fmt: skip
_USGS_AREA_TYPES = frozenset({"mineral district", "mining district", "geothermal reservoir"})


@dataclass(frozen=True)
class SkippedRow:
    """A data row that was not loaded; row 1 is the header, so the first data row is 2.
    ``reason`` is in the language of the run that read the table."""

    row_number: int
    reason: str
    record_id: str


@dataclass(frozen=True, eq=False)
class DepositTable:
    """Normalised deposit records read from one file, with what was skipped and why."""

    layout: str
    dataset: str
    records: pd.DataFrame
    rows_read: int
    skipped: list[SkippedRow]
    unrecognised_commodities: dict[str, int] = field(default_factory=dict)
    encoding: str = "utf-8"


@dataclass(frozen=True)
class _Layout:
    """Which kind of table this is and where its coordinates are."""

    name: str
    family: str
    lat: str | None = None
    lon: str | None = None
    wkt: str | None = None


@dataclass(frozen=True)
class _Source:
    """A raw table, its columns by normalised key, and the file it came from."""

    path: Path
    frame: pd.DataFrame
    columns: dict[str, str]
    layout: _Layout

    def pick(self, *keys: str) -> str | None:
        """The original header of the first key present, or None."""
        return next((self.columns[k] for k in keys if k in self.columns), None)

    def text(self, *keys: str) -> pd.Series:
        """Cleaned text of the first column present (empty strings when none is)."""
        column = self.pick(*keys)
        if column is None:
            return constant_text("", self.frame.index)
        return clean_text(self.frame[column])


def read_deposit_table(path: str | Path, *, dataset: str | None = None) -> DepositTable:
    """Read a deposit table, returning normalised records and the rows skipped with reasons."""
    path = Path(path)
    encoding = detect_encoding(path)
    frame = read_text_table(path, encoding)
    columns = column_keys(frame.columns)
    source = _Source(path, frame, columns, detect_layout(path, columns))
    reasons = RowReasons(frame.index)
    blank = tr("blank row")
    reasons.flag(blank_rows(frame), lambda _label: blank)
    layout = source.layout
    lon, lat = wgs84_coordinates(
        frame, reasons, lat=layout.lat, lon=layout.lon, wkt=layout.wkt, crs=source.pick("crs")
    )
    given_ids = _record_ids(source)
    ids = given_ids.where(given_ids != "", "row-" + _row_numbers(frame.index))
    _flag_duplicates(ids, reasons)
    keep = reasons.ok
    kept = _Source(path, frame[keep], columns, source.layout)
    records, unrecognised = _records(kept, ids[keep], lat[keep], lon[keep])
    name = dataset or default_dataset(source.layout, path)
    records.insert(0, "dataset", constant_text(name, records.index))
    skipped = [
        SkippedRow(label + 2, why, str(given_ids[label]))
        for label, why in sorted(reasons.why.items())
    ]
    return DepositTable(
        layout=source.layout.name,
        dataset=name,
        records=records[list(RECORD_COLUMNS)].reset_index(drop=True),
        rows_read=len(frame),
        skipped=skipped,
        unrecognised_commodities=unrecognised,
        encoding=encoding,
    )


# --- layout -----------------------------------------------------------------------------


def detect_layout(path: Path, columns: dict[str, str]) -> _Layout:
    """Recognise the table by its headers; raise UnsupportedTable when it has no coordinates."""
    lat = lon = wkt = None
    pair = next(((a, b) for a, b in LAT_LON_PAIRS if a in columns and b in columns), None)
    if pair is not None:
        lat, lon = columns[pair[0]], columns[pair[1]]
    else:
        wkt = next((columns[k] for k in WKT_COLUMNS if k in columns), None)
    if lat is None and wkt is None:
        raise UnsupportedTable(tr(
            "{name} has no coordinates. Columns found: {columns}. Expected a WKT point column "
            "({wkt}) or a latitude/longitude pair ({pairs}).").format(
                name=path.name, columns=", ".join(columns.values()), wkt=", ".join(WKT_COLUMNS),
                pairs=", ".join(f"{a}/{b}" for a, b in LAT_LON_PAIRS))
        )
    kind = "wkt" if wkt else "latlon"
    if "ftr_id" in columns and "lat_wgs84" in columns:
        return _Layout("usgs-lithium-points", "usgs-lithium-points", lat, lon, wkt)
    if "site_id" in columns and "approx_lat" in columns:
        return _Layout("usgs-lithium-sites", "usgs-lithium-sites", lat, lon, wkt)
    if {"ms_uri", "dep_id", "mrds_id"} & columns.keys():
        return _Layout(f"mrds-{kind}", "mrds", lat, lon, wkt)
    return _Layout(kind, "table", lat, lon, wkt)


def default_dataset(layout: _Layout, path: Path) -> str:
    """Dataset name for a layout, or one made from the file name.

    >>> default_dataset(_Layout("latlon", "table"), Path("My Sites (2024).csv"))
    'my-sites-2024'
    """
    named = {
        "mrds": "usgs-mrds",
        "usgs-lithium-points": "usgs-lithium-2019",
        "usgs-lithium-sites": "usgs-lithium-2019-sites",
    }
    if layout.family in named:
        return named[layout.family]
    return re.sub(r"[^0-9a-z]+", "-", path.stem.lower()).strip("-")[:80] or "deposits"


# --- commodities ------------------------------------------------------------------------


@functools.lru_cache(maxsize=65536)
def canonical_commodities(text: str) -> tuple[str, tuple[str, ...]]:
    """Canonical codes joined with ``;`` and the unrecognised fragments, cached per raw value.

    >>> canonical_commodities("Silver,pper,,,")
    ('Ag;Cu', ())
    """
    result = normalise_commodities(text)
    return ";".join(result.canonical), result.unrecognised


# --- identifiers ------------------------------------------------------------------------


def _record_ids(source: _Source) -> pd.Series:
    """Record ids as the source gives them (empty where it gives none)."""
    keys = {
        "usgs-lithium-points": ("ftr_id",),
        "usgs-lithium-sites": ("site_id",),
    }.get(source.layout.family, ID_COLUMNS)
    return source.text(*keys)


def _row_numbers(index: pd.Index) -> pd.Series:
    """Row numbers as a spreadsheet shows them (the header is row 1), as text."""
    return (index.to_series() + 2).astype("str")


def _flag_duplicates(ids: pd.Series, reasons: RowReasons) -> None:
    """Flag later rows that repeat the id of a usable row (the store keys on the id)."""
    usable = reasons.ok.copy()
    repeated = np.zeros(len(ids), dtype=bool)
    repeated[usable] = ids[usable].duplicated(keep="first").to_numpy()
    if not repeated.any():
        return
    first = ids[usable & ~repeated]
    first_row = dict(zip(first.to_numpy(), first.index + 2, strict=True))
    duplicate = tr("duplicate record id {id} (first at row {row})")

    def why(label: int) -> str:
        return duplicate.format(id=repr(ids[label]), row=first_row[ids[label]])

    reasons.flag(repeated, why)


# --- records ----------------------------------------------------------------------------


def _records(
    source: _Source, ids: pd.Series, lat: pd.Series, lon: pd.Series
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The store's deposit columns (without ``dataset``) for rows that passed the checks."""
    family = source.layout.family
    commodities_original = _commodity_text(source)
    codes = map_unique(commodities_original, lambda text: canonical_commodities(text)[0])
    status, status_original = _status(source)
    separators = ",;" if family == "mrds" else ";"
    records = pd.DataFrame(
        {
            "source_record_id": ids,
            "name": source.text(*NAME_COLUMNS),
            "other_names": map_unique(
                source.text(*OTHER_NAME_COLUMNS),
                functools.partial(join_items, separators=separators),
            ),
            "country": _country(source),
            "lat": lat.astype(float),
            "lon": lon.astype(float),
            "dev_status": status,
            "dev_status_original": status_original,
            "commodities": codes,
            "commodities_original": commodities_original,
            "deposit_type": map_unique(source.text(*DEPOSIT_TYPE_COLUMNS), join_items),
            "position_quality": PositionQuality.PUBLISHED.value,
            "position_note": _position_note(source),
            "source": _citation(source, ids),
        },
        index=source.frame.index,
    )
    records.insert(5, "admin_area", _admin_area(source, records["country"], ids))
    return records, _count_unrecognised(commodities_original)


def _commodity_text(source: _Source) -> pd.Series:
    """The commodity field as written; MRDS-style commod1..commod3 (in any table that has
    them and no commodity column) are joined with ``", "``."""
    if source.pick(*COMMODITY_COLUMNS) is not None or source.pick(*MRDS_COMMODITY_COLUMNS) is None:
        return source.text(*COMMODITY_COLUMNS)
    joined = pd.Series("", index=source.frame.index, dtype="str")
    for key in MRDS_COMMODITY_COLUMNS:
        part = source.text(key)
        both = (joined != "") & (part != "")
        joined = joined.where(part == "", joined.where(~both, joined + ", ") + part)
    return joined


def _status(source: _Source) -> tuple[pd.Series, pd.Series]:
    """Development status from the vocabulary, and the source's own words."""
    if source.layout.family == "usgs-lithium-points":
        original = source.text("ftr_type")
        original = original.where(original != "", source.text("ftr_group"))
        return map_unique(original, _usgs_feature_status), original
    original = source.text(*STATUS_COLUMNS)
    return map_unique(original, lambda text: normalise_status(text).value), original


def _usgs_feature_status(text: str) -> str:
    """Status for a USGS lithium feature type such as "Open Pit Mine" or "Deposit".

    >>> _usgs_feature_status("Brine Mine"), _usgs_feature_status("Mineral District")
    ('unknown', 'occurrence')
    """
    key = text.strip().lower()
    if key in _USGS_FEATURE_STATUS:
        return _USGS_FEATURE_STATUS[key].value
    if key.endswith(("mine", "well", "wells")):
        return DevStatus.UNKNOWN.value
    return normalise_status(text).value


def _country(source: _Source) -> pd.Series:
    """Country as the source names it; the USGS lithium tables are all United States."""
    if source.layout.family.startswith("usgs-lithium"):
        return pd.Series("United States", index=source.frame.index, dtype="str")
    return source.text("country")


def _admin_area(source: _Source, country: pd.Series, ids: pd.Series) -> pd.Series:
    """State or province, with US two-letter codes spelled out."""
    if source.layout.family == "usgs-lithium-sites":
        admin = ids.str[:2]  # Site_ID "NV00118" starts with the state
    else:
        admin = source.text(*ADMIN_COLUMNS)
    expanded = map_unique(admin, expand_states)
    is_us = country.str.lower().isin(US_NAMES)
    return expanded.where(is_us, admin)


def _position_note(source: _Source) -> pd.Series:
    """How the point was placed, in the source's words (USGS lithium only)."""
    index = source.frame.index
    if source.layout.family == "usgs-lithium-sites":
        return pd.Series(
            "approximate site location (USGS site table Approx_Lat/Approx_Lon)",
            index=index,
            dtype="str",
        )
    if source.layout.family != "usgs-lithium-points":
        return pd.Series("", index=index, dtype="str")
    point_def = source.text("pt_def")
    kind = source.text("ftr_type").str.lower()
    area = kind.isin(_USGS_AREA_TYPES) | (source.text("ftr_group").str.lower() == "mineral region")
    label = "centroid of a " + kind.where(kind != "", "mineral region") + ", not a single deposit"
    joined = label + point_def.where(point_def == "", "; " + point_def)
    return point_def.where(~area, joined)


def _citation(source: _Source, ids: pd.Series) -> pd.Series:
    """Where each record comes from: a URL per record, or the dataset's citation."""
    family, index = source.layout.family, source.frame.index
    if family.startswith("usgs-lithium"):
        return pd.Series(USGS_LITHIUM_SOURCE, index=index, dtype="str")
    cited = source.text(*SOURCE_COLUMNS)
    if family == "mrds":
        fallback = "USGS Mineral Resources Data System (MRDS), record " + ids.astype(str)
    else:
        fallback = source.path.name + ", row " + _row_numbers(index)
    return cited.where(cited != "", fallback)


def _count_unrecognised(original: pd.Series) -> dict[str, int]:
    """How many loaded rows carry each commodity fragment that was not recognised."""
    counts: Counter[str] = Counter()
    for text, rows in original.value_counts().items():
        for fragment in canonical_commodities(str(text))[1]:
            counts[fragment] += int(rows)
    return dict(counts.most_common())
