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

import codecs
import functools
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from domain.vocab import DevStatus, PositionQuality, normalise_commodities, normalise_status
from layers.errors import EmptyTable, LayerError, UnsupportedTable

RECORD_COLUMNS = (
    "dataset", "source_record_id", "name", "other_names", "country", "admin_area",
    "lat", "lon", "dev_status", "dev_status_original", "commodities", "commodities_original",
    "deposit_type", "position_quality", "position_note", "source",
)  # fmt: skip

USGS_LITHIUM_SOURCE = (
    "USGS Lithium deposits in the United States (Karl and others, 2019), "
    "https://doi.org/10.5066/P9ZKRWQF"
)
WKT_COLUMNS = ("location", "wkt", "geometry", "geom")
LAT_LON_PAIRS = (
    ("latitude", "longitude"), ("lat", "lon"), ("lat", "long"), ("lat", "lng"),
    ("lat_wgs84", "long_wgs84"), ("approx_lat", "approx_lon"), ("dec_lat", "dec_long"),
    ("dec_lat", "dec_lon"), ("y", "x"),
)  # fmt: skip
ID_COLUMNS = ("record_id", "dep_id", "ftr_id", "site_id", "mrds_id", "deposit_id", "id")
NAME_COLUMNS = ("site_name", "ftr_name", "name", "deposit_name", "dep_name")
OTHER_NAME_COLUMNS = ("other_names", "other_name", "names", "aliases")
ADMIN_COLUMNS = ("state_or_province", "state", "province", "admin_area")
STATUS_COLUMNS = ("dev_stat", "dev_status", "status", "development_status")
COMMODITY_COLUMNS = ("commodity", "commodities", "commod")
MRDS_COMMODITY_COLUMNS = ("commod1", "commod2", "commod3")
DEPOSIT_TYPE_COLUMNS = ("deposit_type", "dep_type", "deposit_model", "model")
SOURCE_COLUMNS = ("ms_uri", "url", "source_url", "source", "source_id", "reference")

NULL_MARKERS = frozenset({"<null>", "null", "nan", "none", "n/a", "#n/a"})
NO_DATA_VALUES = (-999.0, -9999.0, -9999.99, -99999.0)
NULL_ISLAND = "coordinates 0, 0 ('null island') are a placeholder, not a location"
WGS84 = "EPSG:4326"
_US_NAMES = frozenset({"united states", "united states of america", "usa", "us", "u.s.", "u.s.a."})
# RE2 syntax (pyarrow): optional SRID prefix, POINT [Z|M|ZM] (x y [z [m]])
WKT_POINT_PATTERN = (
    r"(?i)^\s*(?:SRID=(?P<srid>\d+)\s*;\s*)?POINT\s*(?:ZM|Z|M)?\s*"
    r"\(\s*(?P<x>[^\s()]+)\s+(?P<y>[^\s()]+)(?:\s+[^\s()]+){0,2}\s*\)\s*$"
)

US_STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa",
    "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland",
    "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi",
    "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma",
    "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina",
    "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont",
    "VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin",
    "WY": "Wyoming", "DC": "District of Columbia", "PR": "Puerto Rico", "GU": "Guam",
    "VI": "U.S. Virgin Islands", "AS": "American Samoa", "MP": "Northern Mariana Islands",
}  # fmt: skip

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
    """A data row that was not loaded; row 1 is the header, so the first data row is 2."""

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
            return _constant("", self.frame.index)
        return clean_text(self.frame[column])


class _Reasons:
    """Why rows are skipped, by row label; the first reason a row is given wins."""

    def __init__(self, index: pd.Index) -> None:
        self.index = index
        self.ok = np.ones(len(index), dtype=bool)
        self.why: dict[int, str] = {}

    def flag(self, mask: pd.Series | np.ndarray, why: Callable[[int], str]) -> None:
        """Give rows in ``mask`` that have no reason yet the reason ``why(row label)``."""
        todo = np.asarray(mask, dtype=bool) & self.ok
        if todo.any():
            self.why.update((int(label), why(int(label))) for label in self.index[todo])
            self.ok &= ~todo


def read_deposit_table(path: str | Path, *, dataset: str | None = None) -> DepositTable:
    """Read a deposit table, returning normalised records and the rows skipped with reasons."""
    path = Path(path)
    encoding = detect_encoding(path)
    frame = _read_csv(path, encoding)
    columns = column_keys(frame.columns)
    source = _Source(path, frame, columns, detect_layout(path, columns))
    reasons = _Reasons(frame.index)
    lon, lat = _coordinates(source, reasons)
    given_ids = _record_ids(source)
    ids = given_ids.where(given_ids != "", "row-" + _row_numbers(frame.index))
    _flag_duplicates(ids, reasons)
    keep = reasons.ok
    kept = _Source(path, frame[keep], columns, source.layout)
    records, unrecognised = _records(kept, ids[keep], lat[keep], lon[keep])
    name = dataset or default_dataset(source.layout, path)
    records.insert(0, "dataset", _constant(name, records.index))
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


# --- reading the file -------------------------------------------------------------------


def detect_encoding(path: Path, chunk_size: int = 1 << 20) -> str:
    """The first of utf-8(-sig), cp1252 and latin-1 that decodes the whole file."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4)
    except OSError as exc:
        raise LayerError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    if head.startswith(b"PK\x03\x04"):
        raise UnsupportedTable(
            f"{path.name} is a zip or Excel workbook, not a CSV file. "
            "Save the sheet as CSV (UTF-8) and import that."
        )
    first = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    for encoding in (first, "cp1252"):
        if _decodes(path, encoding, chunk_size):
            return encoding
    return "latin-1"


def _decodes(path: Path, encoding: str, chunk_size: int) -> bool:
    """Whether the whole file decodes with ``encoding`` (read in chunks, nothing kept)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(chunk_size):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _read_csv(path: Path, encoding: str) -> pd.DataFrame:
    """Every cell as text; blank lines kept so row numbers match what a spreadsheet shows."""
    with path.open(encoding=encoding, newline="") as handle:
        header = handle.readline()
    if not header.strip():
        raise EmptyTable(f"{path.name} is empty: expected a header row and data rows.")
    separator = max((",", ";", "\t", "|"), key=header.count)
    try:
        frame = pd.read_csv(
            path,
            sep=separator,
            dtype=str,
            encoding=encoding,
            na_filter=False,
            skip_blank_lines=False,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise LayerError(f"{path.name} is not a well-formed CSV file: {exc}") from exc
    if frame.empty:
        raise EmptyTable(f"{path.name} has a header row but no data rows.")
    return frame.reset_index(drop=True)


def column_keys(headers: Iterable[object]) -> dict[str, str]:
    """Map normalised header keys to the headers as written (first wins).

    >>> column_keys(["Site_ID *", "Lat_WGS84", "Ftr Name"])
    {'site_id': 'Site_ID *', 'lat_wgs84': 'Lat_WGS84', 'ftr_name': 'Ftr Name'}
    """
    keys: dict[str, str] = {}
    for header in headers:
        key = re.sub(r"[^0-9a-z]+", "_", str(header).strip().rstrip("*").lower()).strip("_")
        keys.setdefault(key, str(header))
    return keys


def detect_layout(path: Path, columns: dict[str, str]) -> _Layout:
    """Recognise the table by its headers; raise UnsupportedTable when it has no coordinates."""
    lat = lon = wkt = None
    pair = next(((a, b) for a, b in LAT_LON_PAIRS if a in columns and b in columns), None)
    if pair is not None:
        lat, lon = columns[pair[0]], columns[pair[1]]
    else:
        wkt = next((columns[k] for k in WKT_COLUMNS if k in columns), None)
    if lat is None and wkt is None:
        raise UnsupportedTable(
            f"{path.name} has no coordinates. Columns found: {', '.join(columns.values())}. "
            f"Expected a WKT point column ({', '.join(WKT_COLUMNS)}) or a latitude/longitude "
            f"pair ({', '.join(f'{a}/{b}' for a, b in LAT_LON_PAIRS)})."
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


# --- cleaning helpers -------------------------------------------------------------------


def clean_text(values: pd.Series) -> pd.Series:
    """Strip text; missing values and markers such as ``<Null>`` become empty strings.

    >>> list(clean_text(pd.Series([" a ", "<Null>", None, "nan"])))
    ['a', '', '', '']
    """
    text = values.fillna("").astype("str").str.strip()
    return text.where(~text.str.lower().isin(NULL_MARKERS), "")


def map_unique(values: pd.Series, function: Callable[[str], str]) -> pd.Series:
    """Apply ``function`` once per distinct value (values repeat heavily in national tables).

    >>> list(map_unique(pd.Series(["NV", "NV", "CA"]), expand_states))
    ['Nevada', 'Nevada', 'California']
    """
    codes, uniques = pd.factorize(values)
    mapped = pd.Series([function(str(u)) for u in uniques], dtype="str")
    return pd.Series(mapped.take(codes).to_numpy(), index=values.index, dtype="str")


def _constant(value: str, index: pd.Index) -> pd.Series:
    """The same text on every row."""
    return pd.Series(value, index=index, dtype="str")


def join_items(text: str, separators: str = ",;") -> str:
    """Split a multi-valued field, drop empty items and join with ``"; "``.

    >>> join_items("Skarn tungsten,,Vein tungsten,")
    'Skarn tungsten; Vein tungsten'
    """
    items = (item.strip() for item in re.split(f"[{re.escape(separators)}]", text))
    return "; ".join(item for item in items if item)


def expand_states(text: str) -> str:
    """Expand two-letter US state codes, item by item; other text passes through.

    >>> expand_states("NC; SC"), expand_states("Nevada")
    ('North Carolina; South Carolina', 'Nevada')
    """
    items = [item.strip() for item in text.split(";")]
    return "; ".join(US_STATES.get(item.upper(), item) for item in items if item)


@functools.lru_cache(maxsize=65536)
def canonical_commodities(text: str) -> tuple[str, tuple[str, ...]]:
    """Canonical codes joined with ``;`` and the unrecognised fragments, cached per raw value.

    >>> canonical_commodities("Silver,pper,,,")
    ('Ag;Cu', ())
    """
    result = normalise_commodities(text)
    return ";".join(result.canonical), result.unrecognised


# --- coordinates ------------------------------------------------------------------------


def _coordinates(source: _Source, reasons: _Reasons) -> tuple[pd.Series, pd.Series]:
    """Longitudes and latitudes in EPSG:4326; unusable rows are given a reason."""
    frame, layout = source.frame, source.layout
    reasons.flag(_blank_rows(frame), _always("blank row"))
    if layout.wkt is not None:
        x_text, y_text, srid = _split_wkt(source, reasons)
    else:
        assert layout.lat is not None and layout.lon is not None
        x_text, y_text = clean_text(frame[layout.lon]), clean_text(frame[layout.lat])
        srid = _constant("", frame.index)
    x, y = _numbers(x_text, y_text, reasons)
    crs = srid.where(srid != "", source.text("crs"))
    crs = crs.where(crs != "", WGS84)
    lon, lat = _to_wgs84(x, y, crs, reasons)
    reasons.flag(
        ~np.isfinite(lat) | ~np.isfinite(lon),
        lambda i: f"coordinates could not be converted from {crs[i]} to {WGS84}",
    )
    reasons.flag(lat.abs() > 90, lambda i: f"latitude {_num(lat[i])} is outside -90..90")
    reasons.flag(lon.abs() > 180, lambda i: f"longitude {_num(lon[i])} is outside -180..180")
    return lon, lat


def _blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """True for rows whose every cell is empty or whitespace."""
    blank = np.ones(len(frame), dtype=bool)
    for column in frame.columns:
        blank &= (frame[column].fillna("").astype("str").str.strip() == "").to_numpy()
    return blank


def _split_wkt(source: _Source, reasons: _Reasons) -> tuple[pd.Series, pd.Series, pd.Series]:
    """X and Y text and any SRID from ``POINT (x y)`` text; other geometries are flagged."""
    assert source.layout.wkt is not None
    text = clean_text(source.frame[source.layout.wkt])
    parts = pc.extract_regex(
        pa.array(text.to_numpy(dtype=object), type=pa.string()), WKT_POINT_PATTERN
    )
    matched = parts.is_valid().to_numpy(zero_copy_only=False)
    column = source.layout.wkt.rstrip(" *")
    reasons.flag(
        (text != "").to_numpy() & ~matched, lambda i: f"{column} {_short(text[i])!r} is not a point"
    )

    def field(name: str) -> pd.Series:
        values = pd.Series(parts.field(name).to_numpy(zero_copy_only=False), index=text.index)
        return values.where(matched, "").fillna("").astype("str")

    srid = field("srid")
    return field("x"), field("y"), srid.where(srid == "", "EPSG:" + srid)


def _numbers(
    x_text: pd.Series, y_text: pd.Series, reasons: _Reasons
) -> tuple[pd.Series, pd.Series]:
    """Parse coordinates as numbers, flagging missing, non-numeric, no-data and 0,0 rows."""
    x = pd.to_numeric(x_text, errors="coerce").astype(float)
    y = pd.to_numeric(y_text, errors="coerce").astype(float)
    reasons.flag((x_text == "") & (y_text == ""), _always("no coordinates"))
    reasons.flag(y_text == "", _always("no latitude"))
    reasons.flag(x_text == "", _always("no longitude"))
    reasons.flag(y.isna(), lambda i: f"latitude {y_text[i]!r} is not a number")
    reasons.flag(x.isna(), lambda i: f"longitude {x_text[i]!r} is not a number")
    reasons.flag(y.isin(NO_DATA_VALUES), lambda i: f"latitude {y_text[i]} is a no-data marker")
    reasons.flag(x.isin(NO_DATA_VALUES), lambda i: f"longitude {x_text[i]} is a no-data marker")
    reasons.flag((x == 0) & (y == 0), _always(NULL_ISLAND))
    return x, y


def _to_wgs84(
    x: pd.Series, y: pd.Series, crs: pd.Series, reasons: _Reasons
) -> tuple[pd.Series, pd.Series]:
    """Reproject each CRS group to EPSG:4326 (lon, lat); unknown CRS names are flagged."""
    lon, lat = x.copy(), y.copy()
    for name in crs.unique():
        rows = (crs == name).to_numpy()
        target = _crs(str(name))
        if target is None:
            reasons.flag(rows, _always(f"unknown CRS {name!r}"))
            lon[rows] = lat[rows] = np.nan
        elif target.to_epsg() != 4326:
            transformer = Transformer.from_crs(target, WGS84, always_xy=True)
            lon[rows], lat[rows] = transformer.transform(x[rows].to_numpy(), y[rows].to_numpy())
    return lon, lat


@functools.lru_cache(maxsize=64)
def _crs(name: str) -> CRS | None:
    """A CRS from text such as ``EPSG:3857`` or ``3857``, or None when not recognised."""
    try:
        return CRS.from_user_input(f"EPSG:{name}" if name.isdigit() else name)
    except CRSError:
        return None


def _always(reason: str) -> Callable[[int], str]:
    """A reason that does not depend on the row."""
    return lambda _label: reason


def _num(value: float) -> str:
    """A coordinate for a message: ``96.2``, not ``96.200000000001``."""
    return format(value, ".10g")


def _short(text: str, limit: int = 40) -> str:
    """Text cut to ``limit`` characters for a message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


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


def _flag_duplicates(ids: pd.Series, reasons: _Reasons) -> None:
    """Flag later rows that repeat the id of a usable row (the store keys on the id)."""
    usable = reasons.ok.copy()
    repeated = np.zeros(len(ids), dtype=bool)
    repeated[usable] = ids[usable].duplicated(keep="first").to_numpy()
    if not repeated.any():
        return
    first = ids[usable & ~repeated]
    first_row = dict(zip(first.to_numpy(), first.index + 2, strict=True))

    def why(label: int) -> str:
        return f"duplicate record id {ids[label]!r} (first at row {first_row[ids[label]]})"

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
    """The commodity field as written; MRDS commod1..commod3 are joined with ``", "``."""
    if source.pick(*COMMODITY_COLUMNS) is not None or source.layout.family != "mrds":
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
    is_us = country.str.lower().isin(_US_NAMES)
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
