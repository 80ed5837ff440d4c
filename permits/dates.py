"""How precisely a permitting date is known, and how it is shown.

A source may give a day, a month ("May 2020"), a quarter ("Q2 2025") or a year ("in 2025").
The record stores every date as a day, so that dates sort and compare, and by rule that day
is the **last day of the period the source names**; the precision stored beside it says
which period. Pages and exports show the period, never the invented day: "2020-05", not
"2020-05-31". An empty precision means a day (the dashboard's dates and staff edits).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from domain.i18n import tr
from permits.vocab import DatePrecision

# Each milestone date column and the column that holds its precision.
PRECISION_OF: dict[str, str] = {
    "baseline_target": "baseline_target_precision",
    "current_target": "current_target_precision",
    "alternative_completion": "alternative_completion_precision",
    "actual_completion": "actual_completion_precision",
}


def precision(text: object) -> DatePrecision:
    """The stored precision word as a value (empty or missing = a day).

    >>> precision(""), precision("month")
    (<DatePrecision.DAY: 'day'>, <DatePrecision.MONTH: 'month'>)
    """
    word = "" if text is None or (isinstance(text, float) and np.isnan(text)) else str(text)
    return DatePrecision(word.strip() or DatePrecision.DAY)


def shown(value: object, precision_text: object = "") -> str:
    """One date as staff read it: the period its precision names ("" when unknown).

    >>> shown(date(2020, 5, 31), "month"), shown(pd.Timestamp("2025-06-30"), "quarter")
    ('2020-05', '2025-Q2')
    >>> shown(pd.Timestamp("2025-12-31"), "year"), shown(date(2025, 1, 3)), shown(pd.NaT, "")
    ('2025', '2025-01-03', '')
    """
    if value is None or pd.isna(value):  # type: ignore[call-overload]
        return ""
    day = pd.Timestamp(str(value))
    match precision(precision_text):
        case DatePrecision.MONTH:
            return f"{day.year:04d}-{day.month:02d}"
        case DatePrecision.QUARTER:
            return f"{day.year:04d}-Q{day.quarter}"
        case DatePrecision.YEAR:
            return f"{day.year:04d}"
    return day.strftime("%Y-%m-%d")


def shown_column(frame: pd.DataFrame, column: str,
                 precision_column: str | None = None) -> pd.Series:
    """``shown`` over a frame's date column, reading its precision column when there is one."""
    name = precision_column or PRECISION_OF.get(column, f"{column}_precision")
    precisions = frame[name] if name in frame.columns else pd.Series("", index=frame.index)
    # Column-wise (exports write hundreds of thousands of dates): the day by default, then
    # each coarser precision overwrites its own rows.
    days = pd.to_datetime(frame[column].map(lambda v: None if v is None or pd.isna(v) else str(v)),
                          errors="coerce")
    kinds = precisions.map({text: precision(text) for text in pd.unique(precisions)})
    out = days.dt.strftime("%Y-%m-%d")
    month, quarter, year = (kinds == k for k in (DatePrecision.MONTH, DatePrecision.QUARTER,
                                                 DatePrecision.YEAR))
    out[month] = days[month].dt.strftime("%Y-%m")
    quarters = days[quarter].dt.quarter.astype("Int64").astype(str)
    out[quarter] = days[quarter].dt.strftime("%Y-Q") + quarters
    out[year] = days[year].dt.strftime("%Y")
    return out.where(days.notna(), "").astype(object)



def period_start_days(days: np.ndarray, precisions: pd.Series) -> np.ndarray:
    """Day numbers (since 1970-01-01, NaN when unknown) moved from the end of their period to
    its first day, so that two periods are compared by overlap: a target "in 2026" does not
    come after a target of 2026-09-07.

    >>> period_start_days(np.array([20361.0, 20361.0, np.nan]),
    ...                   pd.Series(["month", "year", ""])).tolist()  # 2025-09-30
    [20332.0, 20089.0, nan]
    """
    known = ~np.isnan(days)
    stamps = pd.to_datetime(np.where(known, days, 0).astype("int64"), unit="D")
    kinds = precisions.map({text: precision(text) for text in pd.unique(precisions)}).to_numpy()
    starts = np.select(
        [kinds == DatePrecision.MONTH, kinds == DatePrecision.QUARTER, kinds == DatePrecision.YEAR],
        [stamps.to_period("M").start_time, stamps.to_period("Q").start_time,
         stamps.to_period("Y").start_time], stamps)
    out = (starts.astype("datetime64[D]").astype("int64")).astype(float)
    out[~known] = np.nan
    return out

def period_end(day: date, precision_text: object) -> date:
    """The last day of the period of ``precision`` that holds ``day``.

    >>> period_end(date(2024, 2, 3), "month"), period_end(date(2025, 5, 1), "quarter")
    (datetime.date(2024, 2, 29), datetime.date(2025, 6, 30))
    """
    stamp = pd.Timestamp(day)
    match precision(precision_text):
        case DatePrecision.MONTH:
            stamp = stamp + pd.offsets.MonthEnd(0)
        case DatePrecision.QUARTER:
            stamp = stamp + pd.offsets.QuarterEnd(0)
        case DatePrecision.YEAR:
            stamp = stamp + pd.offsets.YearEnd(0)
    return stamp.date()


def misplaced(frame: pd.DataFrame) -> list[str]:
    """Problems with the precisions of a milestones frame: an unknown word, a precision
    without a date, or a date that is not the last day of its period (the storage rule)."""
    problems = []
    allowed = {"", *(p.value for p in DatePrecision)}
    unknown = tr("{milestone}: {field} {word} is not one of {words}")
    orphan = tr("{milestone}: {field} is {word} but {column} is empty")
    inside = tr("{milestone}: {column} {date} is not the last day of its {word}")
    for column, name in PRECISION_OF.items():
        if name not in frame.columns:
            continue
        for milestone, value, word in zip(frame["milestone_id"], frame[column], frame[name],
                                          strict=True):
            word = str(word).strip()
            if word not in allowed:
                problems.append(unknown.format(milestone=milestone, field=name, word=repr(word),
                                               words=", ".join(sorted(allowed - {""}))))
            elif word and pd.isna(value):
                problems.append(orphan.format(milestone=milestone, field=name, word=repr(word),
                                              column=column))
            elif word and pd.Timestamp(value).date() != period_end(pd.Timestamp(value), word):
                # the precision word ("month") is a stored code, shown as the record has it
                problems.append(inside.format(milestone=milestone, column=column,
                                              date=pd.Timestamp(value).date(), word=word))
    return problems
