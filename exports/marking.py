"""The handling-marking line every export starts with, in the office's own words (the labels
of ``markings.csv`` in the data folder, else the bundled one), with the code beside the label
so a renamed label still says which marking it is.

>>> marking_line("business-proprietary")
'Handling marking: Business proprietary (business-proprietary)'
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from domain.access import marking_labels, marking_rank
from domain.settings import DATA_DIR, load_settings

if TYPE_CHECKING:
    import pandas as pd


def marking_line(code: str) -> str:
    """``Handling marking: <label> (<code>)``; InputError for a code that is no marking."""
    code = code.strip().lower()
    marking_rank(code)  # a typo here must not pass for a marking
    return f"Handling marking: {marking_label(code)} ({code})"


def csv_text(frame: pd.DataFrame, marking: str) -> str:
    """``frame`` as CSV text with a byte-order mark (Excel) and the marking line, a ``#``
    comment, before the header (read it back with ``skiprows=1``)."""
    return f"\ufeff# {marking_line(marking)}\n" + frame.to_csv(index=False)


def marking_label(code: str) -> str:
    """The office's label of ``code`` (the code itself when no vocabulary is found)."""
    folder = load_settings().data_dir
    path = folder / "markings.csv" if (folder / "markings.csv").is_file() else (
        DATA_DIR / "markings.csv")
    if not path.is_file():
        return code
    return _labels(path, path.stat().st_mtime_ns).get(code, code)


@lru_cache(maxsize=4)
def _labels(path: Path, _stamp: int) -> dict[str, str]:
    return {code: entry.label for code, entry in marking_labels(path.parent).items()}
