"""Tables and charts of the portfolio page (the figures come from permits.portfolio)."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

import altair as alt
import pandas as pd
import streamlit as st

from domain.vocab import commodity_label
from mapping import state_keys as keys
from mapping.parts.as_of_picker import as_of_query
from permits.dates import shown_column
from permits.summary import health_rank


def measures_table(measures: pd.DataFrame, by: str) -> None:
    """One row per group: on-time share (%), slip, pause time and counts by status."""
    table = _labelled(measures, by).assign(on_time_share=measures["on_time_share"] * 100)
    status_columns = [c for c in table.columns if c.startswith("actions ")]
    config: dict[str, Any] = {
        by: st.column_config.TextColumn(by.capitalize(), width="medium"),
        "projects": st.column_config.NumberColumn("Projects", format="%d"),
        "milestones": st.column_config.NumberColumn("Milestones", format="%d"),
        "completed": st.column_config.NumberColumn(
            "Completed", format="%d", help="Completed milestones with an actual date."),
        "on_time_share": st.column_config.NumberColumn(
            "On time", format="%.0f%%", help="Share of the completed milestones done on or "
            "before their baseline target (their first published date)."),
        "median_slip_days": st.column_config.NumberColumn(
            "Median slip (days)", format="%.0f", help="Effective target minus baseline."),
        "p90_slip_days": st.column_config.NumberColumn("90th percentile slip (days)",
                                                       format="%.0f"),
        "overdue": st.column_config.NumberColumn("Overdue", format="%d"),
        "pause_days": st.column_config.NumberColumn(
            "Days paused", format="%.0f", help="Days the group's actions spent paused, up to "
            "the as-of date."),
        **{c: st.column_config.NumberColumn(c.replace("actions ", "Actions: "), format="%d")
           for c in status_columns},
    }
    st.dataframe(table[[c for c in config if c in table.columns]], hide_index=True,
                 width="stretch", column_config=config)


def slip_chart(measures: pd.DataFrame, by: str) -> alt.Chart | None:
    """Horizontal bars: median slip per group, worst first."""
    table = _labelled(measures, by).dropna(subset=["median_slip_days"])
    if table.empty:
        return None
    order = table.sort_values("median_slip_days", ascending=False)[by].tolist()
    return alt.Chart(table).mark_bar(color="#0072B2").encode(
        x=alt.X("median_slip_days:Q", title="Median slip (days)",
                axis=alt.Axis(format="d", tickMinStep=1)),
        y=alt.Y(f"{by}:N", sort=order, title=None, axis=alt.Axis(labelLimit=280)),
        tooltip=[alt.Tooltip(f"{by}:N", title=by.capitalize()),
                 alt.Tooltip("median_slip_days:Q", title="Median slip (days)", format=".0f"),
                 alt.Tooltip("p90_slip_days:Q", title="90th percentile (days)", format=".0f"),
                 alt.Tooltip("milestones:Q", title="Milestones")],
    ).properties(height=alt.Step(26))


def trend_charts(trend: pd.DataFrame) -> tuple[alt.Chart, alt.Chart] | None:
    """On-time share and median slip of the milestones completed in each quarter."""
    if trend.empty:
        return None
    frame = trend.assign(on_time_pct=trend["on_time_share"] * 100)
    x = alt.X("period:T", title="Quarter completed", axis=alt.Axis(
        format="%Y Q%q", tickCount=alt.TimeIntervalStep(interval="month", step=3),
        labelOverlap=True))
    tips = [alt.Tooltip("period:T", title="Quarter", format="%Y Q%q"),
            alt.Tooltip("completed:Q", title="Completed"),
            alt.Tooltip("on_time_pct:Q", title="On time (%)", format=".0f"),
            alt.Tooltip("median_slip_days:Q", title="Median slip (days)", format=".0f")]
    share = alt.Chart(frame).mark_line(point=True, color="#009E73").encode(
        x=x, y=alt.Y("on_time_pct:Q", title="On time (%)", scale=alt.Scale(domain=[0, 100])),
        tooltip=tips).properties(height=240, title="On-time share")
    slip = alt.Chart(frame).mark_line(point=True, color="#D55E00").encode(
        x=x, y=alt.Y("median_slip_days:Q", title="Median slip (days)"),
        tooltip=tips).properties(height=240, title="Median slip")
    return share, slip


def project_table(projects: pd.DataFrame, sites: pd.DataFrame, as_of: date) -> None:
    """Every project with its figures and a link to its site's timeline."""
    names = dict(zip(sites["id"], sites["name"], strict=True))
    suffix = as_of_query(as_of)
    table = projects.assign(
        site=projects["site_id"].map(names).fillna(""),
        timeline=projects["site_id"].map(
            lambda s: f"timeline?{keys.SITE_PARAM}={quote(s)}{suffix}" if s else None),
        next_target=shown_column(projects, "next_target", "next_target_precision"),
    ).sort_values(["health", "title"], key=_health_rank, kind="stable")
    config: dict[str, Any] = {
        "title": st.column_config.TextColumn("Project", width="medium"),
        "site": st.column_config.TextColumn("Site"),
        "timeline": st.column_config.LinkColumn("Timeline", display_text="open the site",
                                                help="The site's permitting timeline"),
        "status": "Status",
        "health": "Schedule health",
        "percent_complete": st.column_config.ProgressColumn(
            "Complete", format="%.0f%%", min_value=0, max_value=100),
        "next_milestone": st.column_config.TextColumn("Next milestone", width="medium"),
        "next_target": st.column_config.TextColumn("Next target"),
        "projected_completion": st.column_config.DateColumn("Projected completion",
                                                            format="YYYY-MM-DD"),
        "max_slip_days": st.column_config.NumberColumn("Largest slip (days)", format="%.0f"),
        "lead_agency": "Lead agency",
    }
    st.dataframe(table[list(config)], hide_index=True, width="stretch",
                 column_config=config)


def _labelled(measures: pd.DataFrame, by: str) -> pd.DataFrame:
    if by != "commodity":
        return measures.copy()
    return measures.assign(commodity=measures["commodity"].map(
        lambda c: c if c == "not stated" else commodity_label(c)))


def _health_rank(values: pd.Series) -> pd.Series:
    """Sort key: schedule health worst first, other columns as they are."""
    return health_rank(values) if values.name == "health" else values
