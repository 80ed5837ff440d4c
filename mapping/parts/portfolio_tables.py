"""Tables and charts of the portfolio page (the figures come from permits.portfolio).

The charts are plain Vega-Lite specs (dicts with their data inline) for ``st.vega_lite_chart``:
no Altair in the app process.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

import pandas as pd
import streamlit as st

from domain.i18n import N_, tr
from domain.vocab import commodity_label
from mapping import state_keys as keys
from mapping.parts.as_of_picker import as_of_query
from mapping.parts.grid import grid
from mapping.parts.vega import Spec, inline_data
from mapping.stored_words import unlinked_reason
from permits.dates import shown_column
from permits.status_report import NO_SITE_GIVEN
from permits.summary import health_rank

#: How each of ``permits.portfolio.GROUPINGS`` is named (as a column, the name capitalised).
GROUP_NAMES = {"agency": N_("agency"), "action type": N_("action type"),
               "commodity": N_("commodity"), "stage": N_("stage"), "country": N_("country"),
               "project": N_("project")}


def group_name(by: str) -> str:
    """The name of the grouping ``by`` in the current language (``by`` itself when unknown)."""
    return tr(GROUP_NAMES[by]) if by in GROUP_NAMES else by


def measures_table(measures: pd.DataFrame, by: str) -> None:
    """One row per group: on-time share (%), slip, pause time and counts by status."""
    table = _labelled(measures, by).assign(on_time_share=measures["on_time_share"] * 100)
    status_columns = [c for c in table.columns if c.startswith("actions ")]
    actions = tr("Actions: {status}")
    config: dict[str, Any] = {
        by: st.column_config.TextColumn(group_name(by).capitalize(), width="medium"),
        "projects": st.column_config.NumberColumn(tr("Projects"), format="%d"),
        "milestones": st.column_config.NumberColumn(tr("Milestones"), format="%d"),
        "completed": st.column_config.NumberColumn(
            tr("Completed"), format="%d", help=tr("Completed milestones with an actual date.")),
        "on_time_share": st.column_config.NumberColumn(
            tr("On time"), format="%.0f%%", help=tr("Share of the completed milestones done on "
                                                    "or before their baseline target (their "
                                                    "first published date).")),
        "median_slip_days": st.column_config.NumberColumn(
            tr("Median slip (days)"), format="%.0f", help=tr("Effective target minus baseline.")),
        "p90_slip_days": st.column_config.NumberColumn(tr("90th percentile slip (days)"),
                                                       format="%.0f"),
        "overdue": st.column_config.NumberColumn(tr("Overdue"), format="%d"),
        "pause_days": st.column_config.NumberColumn(
            tr("Days paused"), format="%.0f", help=tr("Days the group's actions spent paused, "
                                                      "up to the as-of date.")),
        # the status after "actions " is the record's vocabulary, kept as it is
        **{c: st.column_config.NumberColumn(actions.format(status=c.removeprefix("actions ")),
                                            format="%d")
           for c in status_columns},
    }
    grid(table[[c for c in config if c in table.columns]], hide_index=True,
                 width="stretch", column_config=config)


def slip_chart(measures: pd.DataFrame, by: str) -> Spec | None:
    """Horizontal bars: median slip per group, worst first (a Vega-Lite spec)."""
    table = _labelled(measures, by).dropna(subset=["median_slip_days"])
    if table.empty:
        return None
    order = table.sort_values("median_slip_days", ascending=False)[by].tolist()
    shown = table[[by, "median_slip_days", "p90_slip_days", "milestones"]]
    return {
        "data": inline_data(shown),
        "mark": {"type": "bar", "color": "#0072B2"},
        "encoding": {
            "x": {"field": "median_slip_days", "type": "quantitative",
                  "title": tr("Median slip (days)"),
                  "axis": {"format": "d", "tickMinStep": 1}},
            "y": {"field": by, "type": "nominal", "sort": order, "title": None,
                  "axis": {"labelLimit": 280}},
            "tooltip": [_tip(by, group_name(by).capitalize(), "nominal"),
                        _tip("median_slip_days", tr("Median slip (days)"), fmt=".0f"),
                        _tip("p90_slip_days", tr("90th percentile (days)"), fmt=".0f"),
                        _tip("milestones", tr("Milestones"))],
        },
        "height": {"step": 26},
    }


def trend_charts(trend: pd.DataFrame) -> tuple[Spec, Spec] | None:
    """On-time share and median slip of the milestones completed in each quarter (two
    Vega-Lite specs)."""
    if trend.empty:
        return None
    frame = trend.assign(on_time_pct=trend["on_time_share"] * 100)[
        ["period", "completed", "on_time_pct", "median_slip_days"]]
    x = {"field": "period", "type": "temporal", "title": tr("Quarter completed"),
         "axis": {"format": "%Y Q%q", "tickCount": {"interval": "month", "step": 3},
                  "labelOverlap": True}}
    tips = [_tip("period", tr("Quarter"), "temporal", "%Y Q%q"),
            _tip("completed", tr("Completed")),
            _tip("on_time_pct", tr("On time (%)"), fmt=".0f"),
            _tip("median_slip_days", tr("Median slip (days)"), fmt=".0f")]

    def line(y: Spec, colour: str, title: str) -> Spec:
        return {"data": inline_data(frame, dates=("period",)),
                "mark": {"type": "line", "point": True, "color": colour},
                "encoding": {"x": x, "y": y, "tooltip": tips},
                "height": 240, "title": title}

    share = line({"field": "on_time_pct", "type": "quantitative", "title": tr("On time (%)"),
                  "scale": {"domain": [0, 100]}}, "#009E73", tr("On-time share"))
    slip = line({"field": "median_slip_days", "type": "quantitative",
                 "title": tr("Median slip (days)")}, "#D55E00", tr("Median slip"))
    return share, slip


def project_table(projects: pd.DataFrame, sites: pd.DataFrame, as_of: date,
                  unlinked_reasons: dict[str, str]) -> None:
    """Every project with its figures and a link to its site's timeline; a project without a
    site says so, and why (``unlinked_reasons``: the importer's words by project id)."""
    names = dict(zip(sites["id"], sites["name"], strict=True))
    suffix = as_of_query(as_of)
    unlinked = tr("not linked to a site: {reason}")
    no_site = projects["project_id"].map(
        lambda p: unlinked.format(reason=unlinked_reason(unlinked_reasons.get(str(p),
                                                                              NO_SITE_GIVEN))))
    table = projects.assign(
        site=projects["site_id"].map(names).where(projects["site_id"].fillna("") != "",
                                                  no_site).fillna(""),
        timeline=projects["site_id"].map(
            lambda s: f"timeline?{keys.SITE_PARAM}={quote(s)}{suffix}" if s else None),
        map=projects["site_id"].map(lambda s: keys.map_link(s) if s else None),
        next_target=shown_column(projects, "next_target", "next_target_precision"),
    ).sort_values(["health", "title"], key=_health_rank, kind="stable")
    config: dict[str, Any] = {
        "title": st.column_config.TextColumn(tr("Project"), width="medium"),
        "site": st.column_config.TextColumn(tr("Site")),
        "timeline": st.column_config.LinkColumn(tr("Timeline"), display_text=tr("open the site"),
                                                help=tr("The site's permitting timeline")),
        "map": st.column_config.LinkColumn(tr("Map"), display_text=tr("on the map"),
                                           help=tr("The site on the map, centred and ringed")),
        "status": tr("Status"),
        "health": tr("Schedule health"),
        "percent_complete": st.column_config.ProgressColumn(
            tr("Complete"), format="%.0f%%", min_value=0, max_value=100),
        "next_milestone": st.column_config.TextColumn(tr("Next milestone"), width="medium"),
        "next_target": st.column_config.TextColumn(tr("Next target")),
        "projected_completion": st.column_config.DateColumn(tr("Projected completion"),
                                                            format="YYYY-MM-DD"),
        "max_slip_days": st.column_config.NumberColumn(tr("Largest slip (days)"),
                                                       format="%.0f"),
        "lead_agency": tr("Lead agency"),
    }
    grid(table[list(config)], hide_index=True, width="stretch",
                 column_config=config)


def _labelled(measures: pd.DataFrame, by: str) -> pd.DataFrame:
    if by != "commodity":
        return measures.copy()
    return measures.assign(commodity=measures["commodity"].map(
        lambda c: c if c == "not stated" else commodity_label(c)))


def _health_rank(values: pd.Series) -> pd.Series:
    """Sort key: schedule health worst first, other columns as they are."""
    return health_rank(values) if values.name == "health" else values


def _tip(field: str, title: str, kind: str = "quantitative", fmt: str | None = None) -> Spec:
    tip: Spec = {"field": field, "title": title, "type": kind}
    if fmt is not None:
        tip["format"] = fmt
    return tip
