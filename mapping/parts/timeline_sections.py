"""Parts of the site timeline page: the site picker, a project's figures, tables and history."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from domain.access import PUBLIC, Principal
from domain.i18n import ENGLISH, N_, current_language, tr
from exports.marking import csv_text
from mapping import state_keys as keys
from mapping.finding_words import finding_sentence
from mapping.parts.gantt import gantt_chart
from mapping.parts.grid import grid
from mapping.parts.safe_text import plain, source_links
from mapping.vocab_words import word
from permits.as_of import replays_history
from permits.dates import shown, shown_column
from permits.frames import PermitData
from permits.schedule import flags_shown, missed_date_notice, pause_ended, paused_on
from permits.vocab import (
    BREACH_STATUSES,
    WITHIN_CLOCK_STATUSES,
    MilestoneState,
    ProjectStatus,
    ScheduleHealth,
)
from sites.names import shown_names
from store.audit import record_now

NO_RECORD = ScheduleHealth.NO_SCHEDULE.value
PAUSE_FIELDS = ["status", "pause_start", "pause_end", "pause_reason", "pause_next_steps"]


def site_picker(sites: pd.DataFrame, health: dict[str, str]) -> str | None:
    """Pick a site (those with a permitting record first); kept in the URL as ``?site=``."""
    names = dict(zip(sites["id"], shown_names(sites, current_language()), strict=True))
    with_record = sorted((s for s in names if s in health), key=lambda s: names[s].lower())
    others = sorted((s for s in names if s not in health), key=lambda s: names[s].lower())
    options = with_record + others
    state = st.session_state
    wanted = st.query_params.get(keys.SITE_PARAM)
    if wanted and wanted != state.get(keys.TIMELINE_URL_SITE):  # a link was followed
        state[keys.TIMELINE_URL_SITE] = wanted
        if wanted in names:
            state[keys.TIMELINE_SITE] = wanted
        else:
            st.warning(tr("No site has the id “{id}”; pick one below.").format(
                id=plain(wanted)), icon=":material/location_off:")
    if state.get(keys.TIMELINE_SITE) not in names:
        state.pop(keys.TIMELINE_SITE, None)
    # made in this run, in the page's language
    labels = {s: f"{names[s]}  ({word('schedule_health', health.get(s, NO_RECORD))})"
              for s in options}
    chosen = st.selectbox(
        tr("Site"), options, key=keys.TIMELINE_SITE, index=0 if with_record else None,
        placeholder=tr("pick a site"),
        format_func=labels.__getitem__,
        help=tr("{n} of {total} sites have a permitting record; they come first, with their "
                "schedule health.").format(n=len(with_record), total=len(names)))
    if chosen is not None:
        state[keys.TIMELINE_URL_SITE] = chosen
        if st.query_params.get(keys.SITE_PARAM) != chosen:
            st.query_params[keys.SITE_PARAM] = chosen
    return chosen


def timeline_link(site_id: str, health: dict[str, str]) -> None:
    """A link to the site's timeline (with its schedule health) when it has a record."""
    if site_id in health:
        label = tr("Permitting timeline ({health})").format(
            health=word("schedule_health", health[site_id]))
        st.page_link("pages/timeline_page.py", label=label, icon=":material/timeline:",
                     query_params={keys.SITE_PARAM: site_id})


def project_header(project: pd.Series) -> None:
    """Status, percent complete, next target, projected completion and health."""
    # Five figures side by side: a long label or value (a Japanese status, a full date) wraps
    # in a smaller size instead of being cut off with an ellipsis.
    st.html("<style>.st-key-pm-project-figures [data-testid='stMetricValue'] {"
            "font-size: 1.6rem; white-space: normal; overflow-wrap: anywhere;}"
            ".st-key-pm-project-figures [data-testid='stMetricValue'] > div,"
            ".st-key-pm-project-figures [data-testid='stMetricLabel'] p {"
            "white-space: normal; overflow: visible; text-overflow: clip;}</style>")
    cols = st.container(key="pm-project-figures").columns(5)
    cols[0].metric(tr("Status"), word("project_status", project["status"])
                   or tr("not stated"))
    done = project["percent_complete"]
    cols[1].metric(tr("Complete"), "–" if pd.isna(done) else f"{done:.0f} %",
                   help=tr("Share of the applicable milestones that are complete."))
    next_target = shown(project["next_target"], project["next_target_precision"])
    cols[2].metric(tr("Next target"), next_target or "–")
    cols[3].metric(tr("Projected completion"), _day(project["projected_completion"]) or "–",
                   help=tr("Latest projected finish of the project's milestones: an open one "
                           "cannot finish before the as-of date or before the milestone it "
                           "depends on."))
    cols[4].metric(tr("Schedule health"), word("schedule_health", project["health"]))
    if project["next_milestone"]:
        label = tr("Next milestone:")
        st.markdown(f"**{label}** " + tr("{milestone}, target {date}").format(
            milestone=plain(project["next_milestone"]), date=next_target))
    facts = [(tr("Lead agency"), project["lead_agency"]), (tr("Category"), project["category"]),
             (tr("Sponsor"), project["sponsor"])]
    line = " · ".join(tr("{label}: {value}").format(label=k, value=plain(v))
                      for k, v in facts if v)
    if line:
        st.caption(line)


def pauses(project: pd.Series, actions: pd.DataFrame, as_of: date) -> None:
    """Each pause covering the as-of date (with reason and next steps); earlier ones briefly."""
    labels = [tr("Project {title}").format(title=project["title"]),
              *(f"{t} ({a})" for t, a in zip(actions["action_type"], actions["agency"],
                                             strict=True))]
    records = [project.to_dict(), *actions.to_dict("records")]
    own = pd.DataFrame([project[PAUSE_FIELDS]])
    covering = [*paused_on(own, as_of, ProjectStatus.PAUSED.value), *paused_on(actions, as_of)]
    ended = [*pause_ended(own, as_of, ProjectStatus.PAUSED.value), *pause_ended(actions, as_of)]
    now = pd.Timestamp(as_of)
    for label, record, paused, was_paused in zip(labels, records, covering, ended, strict=True):
        start, end = record.get("pause_start"), record.get("pause_end")
        if paused:
            until = ""
            if pd.notna(end):
                late = tr(" (still paused)") if end < now else ""
                until = tr("; expected to resume {date}{late}").format(date=_day(end), late=late)
            heading = tr("Paused:")
            st.warning(
                f"**{heading}** " + tr("{record} since {start}{until}. Reason: {reason}. Next "
                                       "steps: {steps}.").format(
                    record=plain(label), start=_day(start) or tr("a date not recorded"),
                    until=until, reason=plain(record.get("pause_reason")) or tr("none given"),
                    steps=_sentence(record.get("pause_next_steps")) or tr("none recorded")),
                icon=":material/pause_circle:")
        elif was_paused:
            st.caption(tr("{record} was paused from {start} to {end} ({reason}).").format(
                record=plain(label), start=_day(start), end=_day(end),
                reason=plain(record.get("pause_reason")) or tr("no reason given")))


def findings(found: pd.DataFrame) -> None:
    """Rule-set findings: breaches in red, the rest as plain sentences."""
    for row in found.to_dict("records"):
        text = plain(finding_sentence(row))
        if row["status"] in BREACH_STATUSES:
            status = word("finding_status", row["status"], row["status"].capitalize())
            st.error(f"**{plain(status)}:** {text}",
                     icon=":material/gavel:")
        elif row["status"] in WITHIN_CLOCK_STATUSES:
            st.markdown(f":material/check_circle: {text}")
        else:
            st.caption(text)


def notices(derived: pd.DataFrame) -> None:
    """The dashboard's missed-date notices and the inconsistencies to fix."""
    for _, row in derived[derived["state"] == MilestoneState.OVERDUE.value].iterrows():
        st.warning(plain(missed_date_notice(row)), icon=":material/event_busy:")
    for flagged in derived[derived["flags"] != ""].to_dict("records"):
        check = tr("Check {name}:").format(name=plain(flagged["name"]))
        st.info(f"**{check}** {plain(flags_shown(flagged['flags']))}.", icon=":material/rule:")


def gantt(derived: pd.DataFrame, actions: pd.DataFrame, project: pd.Series, as_of: date) -> None:
    chart = gantt_chart(derived, actions, project, as_of)
    if chart is None:
        st.caption(tr("No milestone has a date yet, so there is no chart."))
        return
    st.vega_lite_chart(chart, width="stretch")
    st.caption(tr("Bars run from the milestone it depends on to the milestone itself "
                  "(baseline, current target, actual); a diamond marks a date with no earlier "
                  "one to start from. Dark outline: the critical path that sets the projected "
                  "completion. Orange shading: paused."))


def milestone_table(derived: pd.DataFrame, actions: pd.DataFrame) -> None:
    types = dict(zip(actions["action_id"], actions["action_type"], strict=True))
    table = derived.assign(action=derived["action_id"].map(types).fillna(""))
    table = table.sort_values(["action", "sequence"], kind="stable")
    # dates as precisely as their sources give them ("2020-05" for a month, never a made-up day)
    for column in ("baseline_target", "current_target", "alternative_completion"):
        table[column] = shown_column(table, column)
    table["actual_as_of"] = shown_column(table, "actual_as_of", "actual_completion_precision")
    # the record's codes by their names in the page's language (as they are in English)
    table["flags"] = table["flags"].map(flags_shown)
    table["state"] = table["state"].map(lambda code: word("milestone_state", code))
    table["action"] = table["action"].map(lambda code: word("action_type", code))
    columns = {
        "action": st.column_config.TextColumn(tr("Action"), width="medium"),
        "sequence": st.column_config.NumberColumn("#", format="%d", width="small"),
        "name": st.column_config.TextColumn(tr("Milestone"), width="medium"),
        "state": st.column_config.TextColumn(tr("State")),
        "baseline_target": st.column_config.TextColumn(tr("Baseline")),
        "current_target": st.column_config.TextColumn(tr("Current target")),
        "alternative_completion": st.column_config.TextColumn(tr("Alternative completion")),
        "actual_as_of": st.column_config.TextColumn(tr("Actual")),
        "slip_days": st.column_config.NumberColumn(
            tr("Slip (days)"), format="%d", help=tr("Effective target minus baseline.")),
        "projected_finish": st.column_config.DateColumn(tr("Projected finish"),
                                                        format="YYYY-MM-DD"),
        "on_critical_path": st.column_config.CheckboxColumn(tr("Critical path")),
        "reason_for_change": st.column_config.TextColumn(tr("Reason for change")),
        "flags": st.column_config.TextColumn(tr("Flags")),
    }
    grid(table[list(columns)], hide_index=True, width="stretch",
                 column_config=columns)


def sources(data: PermitData) -> None:
    texts = pd.concat([data.projects["source"], data.actions["source"],
                       data.milestones["source"]])
    links = list(dict.fromkeys(link for text in texts for link in source_links(text)))
    label, none = tr("Sources"), tr("none recorded")
    st.markdown(f"**{label}:** " + (" · ".join(links) if links else f"_{none}_"))


#: The record's kinds and fields as a reader in another language than English sees them in
#: the change history (English readers see the store's own names, as in the CSV).
_ENTITY_WORDS = {"project": N_("project"), "action": N_("action"), "milestone": N_("milestone")}
_FIELD_WORDS = {
    "baseline_target": N_("Baseline"), "current_target": N_("Current target"),
    "alternative_completion": N_("Alternative completion"), "actual_completion": N_("Actual"),
    "complete": N_("Complete"), "not_applicable": N_("Not applicable"),
    "reason_for_change": N_("Reason for change"), "status": N_("Status"),
    "outcome": N_("Outcome"), "pause_start": N_("Pause start"), "pause_end": N_("Pause end"),
    "pause_reason": N_("Pause reason"), "pause_next_steps": N_("Pause next steps"),
    "site_id": N_("Site"), "sponsor": N_("Sponsor"), "title": N_("Title"),
}


def _history_words(table: pd.DataFrame) -> pd.DataFrame:
    """The history's kinds, fields, record kinds and reasons in the page's language."""
    if current_language() == ENGLISH:
        return table
    entity = {code: tr(text) for code, text in _ENTITY_WORDS.items()}
    fields = {code: tr(text) for code, text in _FIELD_WORDS.items()}
    return table.assign(
        record=table["entity"].map(lambda e: entity.get(e, e)) + ": "
        + table["record"].str.split(": ", n=1).str[1],
        field=table["field"].map(lambda f: fields.get(f, f)),
        kind=table["kind"].map(lambda k: word("change_kind", k)),
        reason=table["reason"].map(lambda r: word("date_change_reason", r)))


def history(changes: pd.DataFrame, data: PermitData, as_of: date, site_id: str,
            marking: str = PUBLIC, *, principal: Principal, engine: Engine,
            withheld: Collection[str] = ()) -> None:
    """The site's changes, newest first, with a CSV download that starts with the site's
    handling ``marking`` and is audited when it is made. Changes of a project's sponsor
    are left out when the site's operator (the same company) is ``withheld``."""
    names = {**dict(zip(data.milestones["milestone_id"], data.milestones["name"], strict=True)),
             **dict(zip(data.actions["action_id"], data.actions["action_type"], strict=True)),
             **dict(zip(data.projects["project_id"], data.projects["title"], strict=True))}
    site = changes[changes["project_id"].isin(set(data.projects["project_id"]))]
    if "operator" in withheld:
        site = site[site["field"] != "sponsor"]
    if site.empty:
        st.caption(tr("No change recorded for this site yet."))
        return
    table = site.assign(
        when=site["changed_at"].dt.tz_convert(None),
        record=site["entity"] + ": " + site["entity_id"].map(names).fillna(site["entity_id"]),
    ).sort_values("when", ascending=False, kind="stable")
    listed = ["when", "who", "record", "field", "before", "after", "reason", "kind", "source"]
    shown_rows = _history_words(table)
    later = int((table["when"] >= pd.Timestamp(as_of) + pd.Timedelta(days=1)).sum())
    if later and replays_history(as_of, date.today()):
        st.caption(tr("{n} of these changes were made after {date}; the view above has them "
                      "undone.").format(n=later, date=as_of.isoformat()))
    grid(shown_rows[listed], hide_index=True, width="stretch", column_config={
        "when": st.column_config.DatetimeColumn(tr("When (UTC)"), format="YYYY-MM-DD HH:mm"),
        "who": tr("Who"), "record": tr("Record"), "field": tr("Field"), "before": tr("Before"),
        "after": tr("After"), "reason": tr("Why"), "kind": tr("Kind"),
        "source": st.column_config.TextColumn(tr("Source"), width="small")})
    rows = table[listed]

    def released() -> str:  # made when clicked, so the export is recorded when it happens
        record_now(engine, principal, "export", target=f"change history of site {site_id}",
                   detail="change history", records=len(rows), marking=marking)
        return csv_text(rows, marking)

    st.download_button(tr("Download the history (CSV)"), released, on_click="ignore",
                       file_name=f"permitting-history-{site_id}.csv", mime="text/csv",
                       icon=":material/download:")


def _sentence(value: object) -> str:
    """Escaped text without its final full stop (the caller ends the sentence)."""
    return plain(str(value or "").rstrip("."))


def _day(value: Any) -> str:
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")
