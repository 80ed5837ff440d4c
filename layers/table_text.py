"""Read a delimited text table robustly and clean its text: encodings, separators, null markers.

Every cell is read as text and blank lines are kept, so a row's label plus 2 is the row
number a spreadsheet shows (the header is row 1). Per-value Python runs once per distinct
value, because columns in large tables repeat heavily.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from domain.i18n import tr
from layers.errors import EmptyTable, LayerError, UnsupportedTable

NULL_MARKERS = frozenset({"<null>", "null", "nan", "none", "n/a", "#n/a"})
SEPARATORS = (",", ";", "\t", "|")
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def detect_encoding(path: Path, chunk_size: int = 1 << 20) -> str:
    """UTF-16 when the file starts with its byte-order mark (Excel's "Unicode Text"), else
    the first of utf-8(-sig), cp1252 and latin-1 that decodes the whole file."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4)
    except OSError as exc:
        raise LayerError(tr("Cannot read {path}: {error}.").format(
            path=path, error=exc.strerror or exc)) from exc
    if head.startswith(b"PK\x03\x04"):
        raise UnsupportedTable(
            tr("{name} is a zip or Excel workbook, not a CSV file. Save the sheet as CSV "
               "(UTF-8) and import that.").format(name=path.name)
        )
    if head.startswith(UTF16_BOMS):
        if not _decodes(path, "utf-16", chunk_size):
            raise LayerError(tr("{name} starts as UTF-16 text (Excel's \"Unicode Text\") but "
                                "is not: part of it is missing or damaged. Save the table "
                                "again as CSV (UTF-8) and import that.").format(name=path.name))
        return "utf-16"
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


def read_text_table(path: Path, encoding: str) -> pd.DataFrame:
    """Every cell as text; blank lines kept so row numbers match what a spreadsheet shows."""
    _refuse_binary(path)
    try:
        with path.open(encoding=encoding, newline="") as handle:
            header = handle.readline()
    except UnicodeDecodeError as exc:  # detect_encoding said otherwise: a file changed since
        raise LayerError(tr("{name} cannot be read as {encoding} text: save it again as CSV "
                            "(UTF-8).").format(name=path.name, encoding=encoding)) from exc
    if not header.strip():
        raise EmptyTable(tr("{name} is empty: expected a header row and data rows.").format(
            name=path.name))
    separator = max(SEPARATORS, key=header.count)
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
        raise LayerError(tr("{name} is not a well-formed table: {problem} Export it again as "
                            "CSV with one header row.").format(
            name=path.name, problem=_plain_parser_error(exc))) from exc
    if frame.empty:
        raise EmptyTable(tr("{name} has a header row but no data rows.").format(name=path.name))
    return frame.reset_index(drop=True)


def _refuse_binary(path: Path) -> None:
    """A zip, gzip or other binary file is not a text table: say so before parsing it."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    if head.startswith(UTF16_BOMS):
        return
    if head.startswith((b"PK\x03\x04", b"\x1f\x8b")) or b"\x00" in head:
        raise LayerError(tr("{name} is a compressed or binary file, not a text table: unzip "
                            "it, or export the table as CSV (comma-separated text).").format(
            name=path.name))


def _plain_parser_error(exc: Exception) -> str:
    """pandas' tokenizer message in plain words (in the run's language; another message of
    pandas as it is).

    >>> message = "Error tokenizing data. C error: Expected 1 fields in line 5, saw 3"
    >>> _plain_parser_error(ValueError(message))
    'line 5 has 3 fields where the header has 1.'
    >>> _plain_parser_error(ValueError("Error tokenizing data. C error: EOF inside string "
    ...                                "starting at row 3"))
    'a quoted value starting on row 4 is never closed (a stray " character).'
    """
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
    if found:
        expected, line, saw = found.groups()
        return tr("line {line} has {saw} fields where the header has {expected}.").format(
            line=line, saw=saw, expected=expected)
    found = re.search(r"EOF inside string starting at row (\d+)", str(exc))
    if found:
        return tr("a quoted value starting on row {row} is never closed (a stray \" "
                  "character).").format(row=int(found.group(1)) + 1)
    text = str(exc).removeprefix("Error tokenizing data. C error: ").strip()
    return text if text.endswith(".") else f"{text}."


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


def blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """True for rows whose every cell is empty or whitespace."""
    blank = np.ones(len(frame), dtype=bool)
    for column in frame.columns:
        blank &= (frame[column].fillna("").astype("str").str.strip() == "").to_numpy()
    return blank


def clean_text(values: pd.Series) -> pd.Series:
    """Strip text; missing values and markers such as ``<Null>`` become empty strings.

    >>> list(clean_text(pd.Series([" a ", "<Null>", None, "nan"])))
    ['a', '', '', '']
    """
    text = values.fillna("").astype("str").str.strip()
    return text.where(~text.str.lower().isin(NULL_MARKERS), "")


def constant_text(value: str, index: pd.Index) -> pd.Series:
    """The same text on every row."""
    return pd.Series(value, index=index, dtype="str")


def map_unique(values: pd.Series, function: Callable[[str], str]) -> pd.Series:
    """Apply ``function`` once per distinct value (values repeat heavily in national tables).

    >>> list(map_unique(pd.Series(["nv", "nv", "ca"]), str.upper))
    ['NV', 'NV', 'CA']
    """
    codes, uniques = pd.factorize(values)
    mapped = pd.Series([function(str(u)) for u in uniques], dtype="str")
    return pd.Series(mapped.take(codes).to_numpy(), index=values.index, dtype="str")


def join_items(text: str, separators: str = ",;") -> str:
    """Split a multi-valued field, drop empty items and join with ``"; "``.

    >>> join_items("Skarn tungsten,,Vein tungsten,")
    'Skarn tungsten; Vein tungsten'
    """
    items = (item.strip() for item in re.split(f"[{re.escape(separators)}]", text))
    return "; ".join(item for item in items if item)
