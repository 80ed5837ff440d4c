"""The permitting record as three frames, and small date helpers shared by the derivations."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd

from permits.schema import (
    ACTION_COLUMNS,
    MILESTONE_COLUMNS,
    PROJECT_COLUMNS,
    RECORD_COLUMNS,
    conform,
)

DUE_SOON_DAYS = 30


@dataclass(frozen=True)
class PermitData:
    """Projects, their actions and the actions' milestones (one row each)."""

    projects: pd.DataFrame
    actions: pd.DataFrame
    milestones: pd.DataFrame

    @classmethod
    def from_frames(
        cls, projects: pd.DataFrame, actions: pd.DataFrame, milestones: pd.DataFrame
    ) -> PermitData:
        """Conform three raw frames to the schema (record columns included)."""
        return cls(
            conform(projects, PROJECT_COLUMNS | RECORD_COLUMNS),
            conform(actions, ACTION_COLUMNS | RECORD_COLUMNS),
            conform(milestones, MILESTONE_COLUMNS | RECORD_COLUMNS),
        )

    def for_projects(self, project_ids: list[str] | set[str]) -> PermitData:
        """The part of the record that belongs to ``project_ids``."""
        ids = set(project_ids)
        return replace(
            self,
            projects=self.projects[self.projects["project_id"].isin(ids)],
            actions=self.actions[self.actions["project_id"].isin(ids)],
            milestones=self.milestones[self.milestones["project_id"].isin(ids)],
        )

    def for_site(self, site_id: str) -> PermitData:
        """The projects linked to one site."""
        return self.for_projects(set(self.projects.loc[self.projects["site_id"] == site_id,
                                                       "project_id"]))


def positions(keys: pd.Series, wanted: pd.Series) -> np.ndarray:
    """Row position in ``keys`` of each value of ``wanted`` (-1 when absent; last row wins).

    One factorisation of both columns together: cheaper than a hash index on text keys.

    >>> positions(pd.Series(["a", "b"]), pd.Series(["b", "z", "a"])).tolist()
    [1, -1, 0]
    """
    codes = pd.factorize(pd.concat([keys, wanted], ignore_index=True))[0]
    by_code = np.full(codes.max() + 1 if len(codes) else 0, -1, dtype="int64")
    by_code[codes[:len(keys)]] = np.arange(len(keys))
    return by_code[codes[len(keys):]]


def day_number(values: pd.Series) -> np.ndarray:
    """Dates as float day numbers since 1970-01-01 (NaN when unknown): fast to compare.

    >>> day_number(pd.Series(pd.to_datetime(["1970-01-02", None]))).tolist()
    [1.0, nan]
    """
    days = values.to_numpy(dtype="datetime64[D]").astype("int64").astype(float)
    days[values.isna().to_numpy()] = np.nan
    return days


def as_day(value: date) -> float:
    """One date as a day number.

    >>> as_day(date(1970, 1, 11))
    10.0
    """
    return float((value - date(1970, 1, 1)).days)


def from_day(days: np.ndarray | pd.Series) -> pd.Series:
    """Day numbers back to dates (NaT where NaN)."""
    arr = np.asarray(days, dtype=float)
    out = np.full(arr.shape, np.datetime64("NaT"), dtype="datetime64[s]")
    known = ~np.isnan(arr)
    out[known] = arr[known].astype("int64").astype("datetime64[D]").astype("datetime64[s]")
    return pd.Series(out)


def business_days_after(targets: np.ndarray, as_of: date) -> np.ndarray:
    """Business days (weekdays that are not US federal holidays) after each target up to as_of.

    >>> business_days_after(np.array([as_day(date(2020, 8, 28))]), date(2020, 9, 4)).tolist()
    [5]
    """
    known = ~np.isnan(targets)
    out = np.zeros(targets.shape, dtype="int64")
    if not known.any():
        return out
    start = targets[known].astype("int64").astype("datetime64[D]") + np.timedelta64(1, "D")
    end = np.datetime64(as_of, "D") + np.timedelta64(1, "D")
    counts = np.busday_count(start, end, holidays=_federal_holidays())
    out[known] = np.maximum(counts, 0)
    return out


@lru_cache(maxsize=1)
def _federal_holidays() -> np.ndarray:
    import holidays  # imported here: only the missed-date count needs it

    days = holidays.country_holidays("US", years=range(1990, 2061))
    return np.array(sorted(days), dtype="datetime64[D]")
