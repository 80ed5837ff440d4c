"""Each site's permitting state in one row, for exports: worst schedule health, the next
milestone across its projects, the largest slip."""

from __future__ import annotations

import pandas as pd

from permits.summary import worst_health

COLUMNS = ["site_id", "schedule_health", "next_milestone", "next_milestone_date",
           "next_milestone_date_precision", "slip_days", "permit_projects"]


def site_permit_state(projects: pd.DataFrame) -> pd.DataFrame:
    """One row per site with permitting projects (see :data:`COLUMNS`).

    ``projects`` is :func:`permits.summary.project_summary`'s frame. The next milestone is
    the earliest next target over the site's projects; ``slip_days`` the largest slip of any
    of its milestones (missing when nothing has slipped or nothing has a baseline).

    >>> frame = pd.DataFrame({"site_id": ["a", "a", "b", ""], "health": ["on track",
    ...     "overdue", "complete", "overdue"], "next_milestone": ["ROD", "NOI", "", "X"],
    ...     "next_target": pd.to_datetime(["2027-01-05", "2026-12-01", None, "2026-01-01"]),
    ...     "next_target_precision": ["", "month", "", ""],
    ...     "max_slip_days": [10.0, 40.0, None, 5.0]})
    >>> row = site_permit_state(frame).set_index("site_id").loc["a"]
    >>> row["schedule_health"], row["next_milestone"], str(row["next_milestone_date"].date())
    ('overdue', 'NOI', '2026-12-01')
    >>> row["next_milestone_date_precision"]
    'month'
    >>> float(row["slip_days"]), int(row["permit_projects"])
    (40.0, 2)
    """
    linked = projects[projects["site_id"] != ""]
    if linked.empty:
        return pd.DataFrame(columns=COLUMNS)
    upcoming = linked[linked["next_target"].notna()].sort_values("next_target") \
        .drop_duplicates("site_id").set_index("site_id")
    grouped = linked.groupby("site_id")
    out = pd.DataFrame({
        "schedule_health": worst_health(linked),
        "next_milestone": upcoming["next_milestone"],
        "next_milestone_date": upcoming["next_target"],
        "next_milestone_date_precision": upcoming["next_target_precision"],
        "slip_days": grouped["max_slip_days"].max(),
        "permit_projects": grouped.size(),
    })
    out.index.name = "site_id"
    return out.reset_index()[COLUMNS]
