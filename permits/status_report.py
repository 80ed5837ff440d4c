"""Per-site and portfolio figures on a date, as plain data (the CLI prints them as JSON)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from domain.i18n import N_
from permits.as_of import milestones_on, projects_on
from permits.dates import shown
from permits.frames import PermitData
from permits.rules import RuleSet, check_rules
from permits.summary import site_health
from permits.vocab import BREACH_STATUSES, MilestoneState

_OVERDUE = MilestoneState.OVERDUE.value


#: What a project without a site says when no import explains it.
#: English in the report (plain data); translated where shown, with ``tr(NO_SITE_GIVEN)``.
NO_SITE_GIVEN = N_("no site given for it (a curated record without one, or linked by hand "
                   "before)")


def permit_report(data: PermitData, sites: pd.DataFrame, rulesets: dict[str, RuleSet],
                  as_of: date, today: date | None = None,
                  unlinked_reasons: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Portfolio counts by status, overdue milestones and slip statistics, then each site's,
    then the projects not linked to a site with the reason (``unlinked_reasons``: the
    importer's words by project id), never under a blank site.

    ``data`` is the record as it stood on ``as_of`` (see :func:`permits.as_of.record_on`).
    """
    derived = milestones_on(data, as_of, today)
    projects = projects_on(derived, data)
    findings = pd.concat([check_rules(data, derived, rs, as_of) for rs in rulesets.values()],
                         ignore_index=True) if rulesets else pd.DataFrame(columns=["project_id"])
    names = dict(zip(sites["id"], sites["name"], strict=True))
    health = site_health(projects)
    portfolio = {
        "projects": len(data.projects),
        "actions": len(data.actions),
        "milestones": len(derived),
        "projects_by_status": _counts(data.projects["status"]),
        "actions_by_status": _counts(data.actions["status"]),
        "milestones_by_state": _counts(derived["state"]),
        "sites_by_health": _counts(pd.Series(list(health.values()), dtype=object)),
        "overdue_milestones": int((derived["state"] == _OVERDUE).sum()),
        "slip_days": slip_statistics(derived["slip_days"]),
        "rule_breaches": int(findings.get("status", pd.Series(dtype=object))
                             .isin(BREACH_STATUSES).sum()),
    }
    linked = projects["site_id"].fillna("").astype(str) != ""
    unlinked = [{"project_id": r["project_id"], "title": r["title"],
                 "reason": (unlinked_reasons or {}).get(str(r["project_id"]), NO_SITE_GIVEN)}
                for r in projects[~linked].sort_values("project_id").to_dict("records")]
    site_rows = []
    for site_id, site_projects in projects[linked].groupby("site_id", sort=True):
        ids = set(site_projects["project_id"])
        ms = derived[derived["project_id"].isin(ids)]
        site_findings = findings[findings["project_id"].isin(ids)]
        site_rows.append(_site(str(site_id), names.get(str(site_id), ""), health.get(str(site_id),
                                                                                     ""),
                               site_projects, ms, site_findings))
    return {"as_of": as_of.isoformat(), "portfolio": portfolio, "sites": site_rows,
            "not_linked_to_a_site": unlinked}


def slip_statistics(slip: pd.Series) -> dict[str, Any]:
    """Count, mean, median, 90th percentile and maximum of slip in days (None when empty).

    >>> slip_statistics(pd.Series([0.0, 10.0, None, 30.0]))["median"]
    10.0
    """
    known = slip.dropna().astype(float)
    if known.empty:
        return {"count": 0, "mean": None, "median": None, "p90": None, "max": None}
    return {"count": len(known), "mean": round(float(known.mean()), 1),
            "median": float(known.median()), "p90": round(float(np.percentile(known, 90)), 1),
            "max": float(known.max())}


def _site(site_id: str, name: str, health: str, projects: pd.DataFrame, ms: pd.DataFrame,
          findings: pd.DataFrame) -> dict[str, Any]:
    overdue = ms[ms["state"] == _OVERDUE].sort_values("effective_target")
    upcoming = ms[ms["is_open"] & ~ms["paused"] & ms["effective_target"].notna()]
    upcoming = upcoming.sort_values("effective_target")
    applicable = ms[ms["state"] != MilestoneState.NOT_APPLICABLE.value]
    return {
        "site_id": site_id,
        "name": name,
        "health": health,
        "projects": sorted(projects["project_id"]),
        "milestones": len(ms),
        "milestones_by_state": _counts(ms["state"]),
        "percent_complete": round(100.0 * float(
            (applicable["state"] == MilestoneState.COMPLETE.value).mean()), 1)
        if len(applicable) else None,
        "overdue": [{"milestone_id": r["milestone_id"], "name": r["name"],
                     "target": shown(r["effective_target"], r["effective_target_precision"]),
                     "business_days_late": int(r["business_days_late"])}
                    for r in overdue.to_dict("records")],
        "next_milestone": None if upcoming.empty else {
            "milestone_id": upcoming.iloc[0]["milestone_id"], "name": upcoming.iloc[0]["name"],
            "target": shown(upcoming.iloc[0]["effective_target"],
                            upcoming.iloc[0]["effective_target_precision"])},
        "projected_completion": _iso(ms["projected_finish"].max()),
        "slip_days": slip_statistics(ms["slip_days"]),
        "flags": int((ms["flags"] != "").sum()),
        "rule_findings": [{"clock": r["clock_id"], "status": r["status"], "message": r["message"]}
                          for r in findings.to_dict("records")],
    }


def _counts(values: pd.Series) -> dict[str, int]:
    counts = values.astype(str).value_counts().sort_index()
    return {str(k or "not stated"): int(v) for k, v in counts.items() if v}


def _iso(value: Any) -> str | None:
    return None if pd.isna(value) else pd.Timestamp(value).date().isoformat()
