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
from domain.i18n import ENGLISH, current_language, tr
from domain.settings import DATA_DIR, load_settings
from domain.vocab_names import japanese_name

if TYPE_CHECKING:
    import pandas as pd


def marking_line(code: str) -> str:
    """``Handling marking: <label> (<code>)``; InputError for a code that is no marking."""
    code = code.strip().lower()
    marking_rank(code)  # a typo here must not pass for a marking
    return f"Handling marking: {marking_label(code)} ({code})"


def shown_marking_line(code: str) -> str:
    """:func:`marking_line` as a picture shows it, in the reader's language: in Japanese the
    marking's Japanese name (``data/vocab_ja.csv``), the office's label when it has none.
    Files keep :func:`marking_line`, the same in every language."""
    code = code.strip().lower()
    marking_rank(code)
    if current_language() == ENGLISH:
        return marking_line(code)
    label = japanese_name("marking", code) or marking_label(code)
    return tr("Handling marking: {label} ({code})").format(label=label, code=code)


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
