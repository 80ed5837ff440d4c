"""Parts of the alerts page: counts per kind, and each alert with a link to its site."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

import pandas as pd
import streamlit as st

from domain.i18n import N_, current_language, tr
from mapping import state_keys as keys
from mapping.parts.as_of_picker import as_of_query
from mapping.parts.safe_text import plain
from mapping.stored_words import unlinked_reason
from permits.alerts import KIND_LOCKOUT, KIND_MISSED, KIND_PAUSE_OVERRUN, KIND_RULE, KIND_STALE
from permits.frames import PermitData
from permits.status_report import NO_SITE_GIVEN
from sites.names import shown_names

KIND_ORDER = (KIND_LOCKOUT, KIND_MISSED, KIND_RULE, KIND_PAUSE_OVERRUN, KIND_STALE)
# the kinds as headings (in English the kind with a capital, as before)
KIND_HEADINGS = {KIND_LOCKOUT: N_("Entering the lock-out"), KIND_MISSED: N_("Missed date"),
                 KIND_RULE: N_("Rule-set breach"),
                 KIND_PAUSE_OVERRUN: N_("Pause past its expected end"),
                 KIND_STALE: N_("Not updated")}
ICONS = {KIND_LOCKOUT: ":material/lock_clock:", KIND_MISSED: ":material/event_busy:",
         KIND_RULE: ":material/gavel:", KIND_PAUSE_OVERRUN: ":material/pause_circle:",
         KIND_STALE: ":material/history_toggle_off:"}


def explanation(settings: dict[str, int]) -> str:
    """What each kind of alert means, with the rule sets' numbers (the kinds themselves are
    the record's vocabulary, kept as they are)."""
    meanings = [
        (KIND_LOCKOUT, tr("an open milestone whose target is within {warning} days: from {days} "
                          "days before the target, date changes need an extension request.")),
        (KIND_MISSED, tr("an open milestone whose target date has passed.")),
        (KIND_RULE, tr("a clock of a rule set (e.g. an EIS within 2 years) missed or projected "
                       "to be missed.")),
        (KIND_PAUSE_OVERRUN, tr("a project or action still paused after its expected end.")),
        (KIND_STALE, tr("an action with open milestones whose record has not changed for "
                        "{stale} days.")),
    ]
    numbers = {"warning": settings["lockout_days"] + settings["lockout_warning_days"],
               "days": settings["lockout_days"], "stale": settings["stale_days"]}
    return ("".join(f"- **{kind}**: {meaning.format(**numbers)}\n" for kind, meaning in meanings)
            + "\n" + tr("Alerts are worked out for the “View as of” date in the sidebar."))


def counts(found: pd.DataFrame) -> None:
    """One metric per kind that has alerts."""
    present = _kinds(found)
    for column, kind in zip(st.columns(len(present)), present, strict=True):
        column.metric(_heading(kind), int((found["kind"] == kind).sum()))


def alert_lists(found: pd.DataFrame, data: PermitData, sites: pd.DataFrame,
                as_of: date, unlinked_reasons: dict[str, str]) -> None:
    """Per kind an expander; each alert's date, site, project, message and a site link; a
    project without a site says so, and why (``unlinked_reasons``, by project id)."""
    site_of = dict(zip(data.projects["project_id"], data.projects["site_id"], strict=True))
    title_of = dict(zip(data.projects["project_id"], data.projects["title"], strict=True))
    names = dict(zip(sites["id"], shown_names(sites, current_language()), strict=True))
    suffix = as_of_query(as_of)
    unlinked = tr("not linked to a site ({reason})")
    timeline, on_map = tr("site timeline"), tr("on the map")
    for kind in _kinds(found):
        rows = found[found["kind"] == kind].sort_values("date", kind="stable")
        with st.expander(f"{_heading(kind)} ({len(rows)})", expanded=True,
                         icon=ICONS.get(kind)):
            lines = []
            for alert in rows.to_dict("records"):
                site = site_of.get(alert["project_id"], "")
                when = "" if pd.isna(alert["date"]) else pd.Timestamp(alert["date"]).date()
                why = unlinked_reason(unlinked_reasons.get(str(alert["project_id"]),
                                                           NO_SITE_GIVEN))
                where = plain(names.get(site, site)) if site else \
                    unlinked.format(reason=plain(why))
                link = (f" · [{timeline}](timeline?{keys.SITE_PARAM}={quote(site)}{suffix})"
                        f" · [{on_map}]({keys.map_link(site)})" if site else "")
                project = plain(title_of.get(alert["project_id"], alert["project_id"]))
                lines.append(f"- **{when}** · {where} · _{project}_: "
                             f"{plain(alert['message'])}{link}")
            st.markdown("\n".join(lines))


def _heading(kind: str) -> str:
    return tr(KIND_HEADINGS[kind]) if kind in KIND_HEADINGS else kind.capitalize()


def _kinds(found: pd.DataFrame) -> list[str]:
    present = set(found["kind"])
    return [k for k in KIND_ORDER if k in present] + sorted(present - set(KIND_ORDER))
