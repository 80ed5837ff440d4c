"""The Gantt chart of one project's milestones: a plain Vega-Lite spec (a dict, the data inline)
that ``st.vega_lite_chart`` draws with Streamlit's bundled Vega; no Altair, which would cost
every app process some 23 MB.

One row per milestone under a bold row per action. Each milestone has up to three bars on its
row: baseline, current (effective) target and actual, each running from its predecessor's
date of the same kind to its own; with no predecessor (or an earlier date missing) a diamond
marks the date. Dependencies are thin connectors, the critical path has a dark outline,
pauses are shaded over their span, and a dashed rule marks the as-of date.

The browser draws it (there is no PNG of it on the server): its text takes the fonts of
:data:`mapping.parts.vega.FONT_FAMILY`, Japanese names from an installed CJK font.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import date

import pandas as pd

from domain.i18n import ENGLISH, N_, current_language, tr
from mapping.parts.vega import Spec, font_config, inline_data
from mapping.vocab_words import word
from permits.dates import shown

KINDS = {  # bar kind -> the derived column holding its date
    "baseline": "baseline_target",
    "current target": "effective_target",
    "actual": "actual_as_of",
}
PRECISIONS = {  # bar kind -> the column saying how precisely its date is known
    "baseline": "baseline_target_precision",
    "current target": "effective_target_precision",
    "actual": "actual_completion_precision",
}
PAUSED = "paused"
COLOURS = {"baseline": "#A9A9A9", "current target": "#0072B2", "actual": "#009E73",
           PAUSED: "#F3D7A1"}
OFFSETS = {"baseline": -9, "current target": 0, "actual": 9}  # pixels from the row's centre
BAR_PX = 8
CRITICAL = "critical path"
ROW_PX = 34
# the kinds are data values; the legend shows them through tr (these mark them for the catalog)
KIND_WORDS = (N_("baseline"), N_("current target"), N_("actual"), N_("paused"),
              N_("critical path"))



def gantt_rows(derived: pd.DataFrame, actions: pd.DataFrame) -> pd.DataFrame:
    """The chart's rows in order: per action a header row, then its milestones by sequence.

    Columns: ``row`` (key), ``label``, ``header``, ``action_id``, ``milestone_id``.
    """
    first = derived.assign(_when=derived["effective_target"].fillna(derived["baseline_target"]))
    order = first.groupby("action_id")["_when"].min().sort_values(kind="stable")
    known = [a for a in order.index if a in set(actions["action_id"])]
    by_id = actions.set_index("action_id")
    rows: list[dict[str, object]] = []
    for a, action_id in enumerate(known):
        action = by_id.loc[action_id]
        parts = [_short(action["action_type"]) or "Action", action["agency"], action["status"]]
        rows.append({"row": f"h{a:03d}", "label": " · ".join(p for p in parts if p),
                     "header": True, "action_id": action_id, "milestone_id": ""})
        milestones = derived[derived["action_id"] == action_id].sort_values("sequence",
                                                                              kind="stable")
        for m, ms in enumerate(milestones.itertuples()):
            rows.append({"row": f"m{a:03d}{m:03d}", "label": f"{ms.sequence}. {ms.name}",
                         "header": False, "action_id": action_id,
                         "milestone_id": ms.milestone_id})
    return pd.DataFrame(rows, columns=["row", "label", "header", "action_id", "milestone_id"])


def _short(action_type: str) -> str:
    """The abbreviation in brackets when the type has one: "Environmental Impact Statement
    (EIS)" -> "EIS"; else the type itself.

    >>> _short("Environmental Impact Statement (EIS)"), _short("Land exchange")
    ('EIS', 'Land exchange')
    """
    match = re.search(r"\(([A-Z][A-Za-z0-9-]{1,9})\)\s*$", action_type)
    return match.group(1) if match else action_type


def gantt_bars(derived: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """One bar (``start`` < ``end``) or point (``start`` NaT) per milestone and kind."""
    row_of = dict(zip(rows["milestone_id"], rows["row"], strict=True))
    by_id = derived.set_index("milestone_id")
    out = []
    for ms in derived.to_dict("records"):
        pred = by_id.loc[ms["predecessor_id"]] if ms["predecessor_id"] in by_id.index else None
        for kind, column in KINDS.items():
            end = ms[column]
            if pd.isna(end):
                continue
            start = pred[column] if pred is not None else pd.NaT
            if pd.isna(start) or start >= end:
                start = pd.NaT
            out.append({
                "row": row_of.get(ms["milestone_id"], ""), "kind": kind, "start": start,
                "end": end, "milestone": ms["name"], "state": ms["state"],
                # the tooltip's words: a month-only date reads "2020-05", not a made-up day
                "from": "" if pred is None or pd.isna(start)
                else shown(start, pred[PRECISIONS[kind]]),
                "date": shown(end, ms[PRECISIONS[kind]]),
                "slip_days": ms["slip_days"], "critical": bool(ms["on_critical_path"]),
                "after": "" if pred is None else str(pred["name"]),
            })
    columns = ["row", "kind", "start", "end", "milestone", "state", "from", "date",
               "slip_days", "critical", "after"]
    return pd.DataFrame(out, columns=columns)


def gantt_links(derived: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Two points per dependency: the predecessor's row and this row, at the date the
    predecessor's current target ends (where this milestone's bar starts)."""
    row_of = dict(zip(rows["milestone_id"], rows["row"], strict=True))
    when = dict(zip(derived["milestone_id"], derived["effective_target"], strict=True))
    out = []
    for ms in derived.to_dict("records"):
        pred = str(ms["predecessor_id"])
        if pred not in row_of or pd.isna(when.get(pred)) or pd.isna(ms["effective_target"]):
            continue
        for row in (row_of[pred], row_of[ms["milestone_id"]]):
            out.append({"link": ms["milestone_id"], "row": row, "x": when[pred],
                        "kind": "current target"})
    return pd.DataFrame(out, columns=["link", "row", "x", "kind"])


def gantt_pauses(project: pd.Series, actions: pd.DataFrame, rows: pd.DataFrame,
                 as_of: date) -> pd.DataFrame:
    """Shaded spans: each paused action over its rows, a paused project over all rows.

    An open pause runs to its expected end, or to the as-of date when none is recorded.
    """
    spans = []
    for action in actions.to_dict("records"):
        spans.append((action, rows[rows["action_id"] == action["action_id"]]["row"]))
    spans.append((project.to_dict(), rows["row"]))
    out = []
    for record, hit in spans:
        start, end = record.get("pause_start"), record.get("pause_end")
        if pd.isna(start):
            continue
        end = pd.Timestamp(as_of) if pd.isna(end) else end
        if end <= start:
            continue
        reason = record.get("pause_reason")
        note = word("pause_reason", reason) if isinstance(reason, str) and reason else tr(
            "no reason given")
        out += [{"row": r, "start": start, "end": end, "kind": PAUSED, "reason": note}
                for r in hit]
    return pd.DataFrame(out, columns=["row", "start", "end", "kind", "reason"])


def gantt_chart(derived: pd.DataFrame, actions: pd.DataFrame, project: pd.Series,
                as_of: date) -> Spec | None:
    """The chart for one project's milestones (a Vega-Lite layer spec), or None when none has a
    date."""
    rows = gantt_rows(derived, actions)
    bars = gantt_bars(derived, rows)
    if bars.empty:
        return None
    pauses = gantt_pauses(project, actions, rows, as_of)
    dates = pd.concat([bars["start"], bars["end"], pauses["start"], pauses["end"],
                       pd.Series([pd.Timestamp(as_of)])]).dropna()
    pad = pd.Timedelta(days=max(30, int((dates.max() - dates.min()).days * 0.03)))
    enc = _Encodings(rows, (dates.min() - pad, dates.max() + pad))
    layers: list[Spec] = []
    if not pauses.empty:
        layers.append({
            "data": inline_data(pauses, dates=("start", "end")), "mark": {"type": "rect"},
            "encoding": {
                "x": enc.x("start"), "x2": {"field": "end"}, "y": enc.y, "color": enc.colour,
                "tooltip": [_tip("kind", "Span"),
                            _tip("start", "From", "temporal", "%Y-%m-%d"),
                            _tip("end", "To", "temporal", "%Y-%m-%d"),
                            _tip("reason", "Reason")]}})
    for kind, offset in OFFSETS.items():
        own = bars[bars["kind"] == kind]
        layers += _kind_layers(own, enc, offset)
    links = gantt_links(derived, rows)
    if not links.empty:
        layers.append({
            "data": inline_data(links, dates=("x",)),
            "mark": {"type": "line", "color": "#444444", "strokeDash": [3, 2],
                     "strokeWidth": 1.3},
            "encoding": {"x": enc.x("x"), "y": enc.y,
                         "detail": {"field": "link", "type": "nominal"}}})
    marker = inline_data(pd.DataFrame({
        "x": [pd.Timestamp(as_of)],
        "text": [tr("today") if as_of == date.today()
                 else tr("as of {date}").format(date=as_of.isoformat())]}),
        dates=("x",))
    layers.append({"data": marker,
                   "mark": {"type": "rule", "color": "#D55E00", "strokeDash": [6, 4],
                            "strokeWidth": 2},
                   "encoding": {"x": enc.x("x")}})
    layers.append({"data": marker,
                   "mark": {"type": "text", "align": "left", "color": "#D55E00", "dx": 4,
                            "dy": -8, "fontWeight": "bold"},
                   "encoding": {"x": enc.x("x"), "y": {"value": 0},
                                "text": {"field": "text", "type": "nominal"}}})
    # Japanese action and milestone names: the font list falls through to a CJK font
    return {"height": {"step": ROW_PX}, "layer": layers, "config": font_config()}


def _labels(kinds: Iterable[str]) -> str:
    """A legend's labelExpr showing each kind (a data value) in the page's language."""
    shown = {kind: tr(kind) for kind in kinds}
    return f"{json.dumps(shown, ensure_ascii=True)}[datum.label] || datum.label"


def _tip(field: str, title: str, kind: str = "nominal", fmt: str | None = None) -> Spec:
    tip: Spec = {"field": field, "title": title, "type": kind}
    if fmt is not None:
        tip["format"] = fmt
    return tip


class _Encodings:
    """The shared encodings: one date scale, the rows with their labels, colours, tooltips."""

    def __init__(self, rows: pd.DataFrame, span: tuple[pd.Timestamp, pd.Timestamp]) -> None:
        labels = dict(zip(rows["row"], rows["label"], strict=True))
        order = rows["row"].tolist()
        self.y: Spec = {
            "field": "row", "type": "nominal", "sort": order, "title": None,
            "scale": {"domain": order},
            "axis": {
                "labelExpr": f"{json.dumps(labels, ensure_ascii=True)}[datum.value]",
                "labelLimit": 340, "labelFontSize": 12, "ticks": False, "domain": False,
                "labelFontWeight": {
                    "condition": {"test": "substring(datum.value, 0, 1) == 'h'",
                                  "value": "bold"},
                    "value": "normal"}}}
        self.domain = [span[0].isoformat(), span[1].isoformat()]
        self.colour: Spec = {
            "field": "kind", "type": "nominal", "title": None,
            "scale": {"domain": list(COLOURS), "range": list(COLOURS.values())},
            "legend": {"orient": "top", "symbolType": "square", "symbolOpacity": 1,
                       "labelExpr": _labels(COLOURS)}}
        self.stroke: Spec = {  # the critical path's outline, with its own legend entry
            "condition": {
                "test": "datum.critical != ''", "field": "critical", "type": "nominal",
                "title": None, "scale": {"domain": [CRITICAL], "range": ["#111111"]},
                "legend": {"orient": "top", "symbolType": "square",
                           "symbolFillColor": "white", "labelExpr": _labels([CRITICAL])}},
            "value": None}
        self.tips = [_tip("milestone", tr("Milestone")), _tip("kind", tr("Bar")),
                     _tip("from", tr("From")), _tip("date", tr("Date")),
                     _tip("after", tr("Comes after")), _tip("state", tr("State")),
                     _tip("slip_days", tr("Slip (days)"), "quantitative", ".0f"),
                     _tip("critical", tr("Critical path"))]

    def x(self, field: str) -> Spec:
        return {"field": field, "type": "temporal", "scale": {"domain": list(self.domain)},
                # month names are English in Vega: ISO months in Japanese
                "axis": {"format": "%b %Y" if current_language() == ENGLISH else "%Y-%m",
                         "title": None, "labelOverlap": True,
                         "grid": True}}


def _kind_layers(bars: pd.DataFrame, enc: _Encodings, offset: int) -> list[Spec]:
    """Bars and diamonds of one kind, nudged up or down within the row; the critical ones
    outlined (their stroke has its own legend entry)."""
    outlined = bars["critical"] & (bars["kind"] == "current target")
    bars = bars.assign(critical=outlined.map({True: CRITICAL, False: ""}))
    out: list[Spec] = []
    spans, points = bars[bars["start"].notna()], bars[bars["start"].isna()]
    shared = {"y": enc.y, "color": enc.colour, "tooltip": enc.tips, "stroke": enc.stroke}
    if not spans.empty:
        out.append({
            "data": inline_data(spans, dates=("start", "end")),
            "mark": {"type": "bar", "cornerRadius": 1, "height": BAR_PX, "strokeWidth": 2.2,
                     "yOffset": offset},
            "encoding": {"x": enc.x("start"), "x2": {"field": "end"}, **shared}})
    if not points.empty:
        out.append({
            "data": inline_data(points, dates=("start", "end")),
            "mark": {"type": "point", "filled": True, "opacity": 1, "shape": "diamond",
                     "size": 120, "strokeWidth": 2.2, "yOffset": offset},
            "encoding": {"x": enc.x("end"), **shared}})
    return out
