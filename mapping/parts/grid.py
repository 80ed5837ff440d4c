"""Tables on a page: ``st.dataframe`` with an empty cell, not Streamlit's English "None",
where a text value is missing (a reader in Japanese would otherwise see English there)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st
from pandas.api.types import is_object_dtype, is_string_dtype


def blank_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with missing values of its text columns as "" (numbers and dates kept, so
    their column formats still apply)."""
    text = [c for c in frame.columns
            if (is_object_dtype(frame[c]) or is_string_dtype(frame[c]))
            and bool(frame[c].isna().any())]
    if not text:
        return frame
    shown = frame.copy(deep=False)
    for column in text:
        shown[column] = frame[column].astype(object).where(frame[column].notna(), "")
    return shown


def grid(data: pd.DataFrame, **options: Any) -> Any:
    """``st.dataframe(data, **options)`` with :func:`blank_missing` applied."""
    return st.dataframe(blank_missing(data), **options)
