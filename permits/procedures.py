"""A procedure laid out from a milestone template as new records: the action, its planned
milestones and, for a site without a permitting record yet, the project they belong to.

Ids are made from the template and the start date ("<project>-jp-eia-scoping-20270401"), so
laying the same procedure twice on one day gives the same ids and the store refuses the
second; another start date gives another action.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from permits.frames import PermitData
from permits.templates import Template, lay_milestones
from permits.vocab import ActionStatus, ProjectStatus


def procedure_id(template: Template, project_id: str, start: date) -> str:
    """The action id of ``template`` laid on ``project_id`` from ``start``.

    >>> from permits.templates import Template
    >>> procedure_id(Template("jp-x", "t", "a", ()), "site-1", date(2027, 4, 1))
    'site-1-jp-x-20270401'
    """
    return f"{project_id}-{template.id}-{start:%Y%m%d}"


def new_project(site_id: str, title: str, *, source: str) -> dict[str, object]:
    """A project of ``site_id`` started by hand (its other fields left for staff to fill)."""
    return {"project_id": f"{site_id}-permitting", "site_id": site_id, "title": title.strip(),
            "status": ProjectStatus.IN_PROGRESS.value, "dataset": "permitmap",
            "source": source}


def lay_procedure(template: Template, project: dict[str, object], start: date, *,
                  agency: str, source: str, new: bool) -> PermitData:
    """The records ``template`` adds to ``project`` from ``start``: one action (in progress,
    its type the template's), the template's milestones, and the project itself when ``new``."""
    project_id = str(project["project_id"])
    action_id = procedure_id(template, project_id, start)
    action = {"action_id": action_id, "project_id": project_id,
              "action_type": template.action_type, "agency": agency.strip(),
              "status": ActionStatus.IN_PROGRESS.value, "source": source}
    milestones = lay_milestones(template, action_id, project_id, start)
    milestones["source"] = source
    projects = pd.DataFrame([project] if new else [], columns=list(project))
    return PermitData.from_frames(projects, pd.DataFrame([action]), milestones)
