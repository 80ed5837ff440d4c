"""Vega-Lite specifications as plain dicts, drawn by ``st.vega_lite_chart`` with Streamlit's
bundled Vega: no Altair in the app process (it costs ~25 MB of memory per process).

Vega draws its text with the browser's fonts: :data:`FONT_FAMILY` names Streamlit's own Latin
font first, then the Japanese fonts Debian packages, so that Chromium draws a Japanese name
with a font that has it rather than as boxes. No font is fetched from the internet."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

Spec = dict[str, Any]  # a Vega-Lite specification, or a part of one

JAPANESE_FONTS = ("Noto Sans CJK JP", "IPAGothic", "IPAexGothic", "VL Gothic", "TakaoGothic")
"""Japanese fonts by their family names, as Debian installs them (fonts-noto-cjk,
fonts-ipafont-gothic, fonts-ipaexfont-gothic, fonts-vlgothic, fonts-takao-gothic)."""

FONT_FAMILY = ", ".join(f'"{name}"' for name in ("Source Sans", "Source Sans Pro",
                                                 *JAPANESE_FONTS)) + ", sans-serif"
"""A CSS font-family list for every text of a chart: the browser takes each character from
the first family that has it, so Latin stays in Streamlit's font (served by Streamlit
itself) and Japanese falls through to an installed CJK font."""


def font_config() -> Spec:
    """A chart's ``config`` setting :data:`FONT_FAMILY` as the font of all its text.

    >>> font_config()["font"].split(", ")[:3]
    ['"Source Sans"', '"Source Sans Pro"', '"Noto Sans CJK JP"']
    """
    return {"font": FONT_FAMILY}


def inline_data(frame: pd.DataFrame, dates: tuple[str, ...] = ()) -> Spec:
    """``frame`` as inline Vega-Lite data: JSON-safe records (a missing value is None, a date
    an ISO string, a NumPy scalar a Python one), the ``dates`` columns parsed as dates.

    ISO strings with a time and no zone are read as local time by Vega, like the scale
    domains, so a day is drawn on its own day in every time zone.

    >>> data = inline_data(pd.DataFrame({"x": [pd.Timestamp("2025-03-01"), pd.NaT],
    ...                                  "n": [1.5, float("nan")]}), dates=("x",))
    >>> data["values"], data["format"]
    ([{'x': '2025-03-01T00:00:00', 'n': 1.5}, {'x': None, 'n': None}], {'parse': {'x': 'date'}})
    """
    values = [{str(k): _json_value(v) for k, v in record.items()}
              for record in frame.to_dict("records")]
    spec: Spec = {"values": values}
    if dates:
        spec["format"] = {"parse": dict.fromkeys(dates, "date")}
    return spec


def _json_value(value: Any) -> Any:
    """None for a missing value (None, NaN, NaT, pd.NA), an ISO string for a date, a Python
    scalar for a NumPy one; anything else as it is."""
    if isinstance(value, np.datetime64):  # .item() of a nanosecond one is an int
        value = pd.Timestamp(value)
    elif isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, (datetime, date)):  # pd.Timestamp is a datetime
        return pd.Timestamp(value).isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
