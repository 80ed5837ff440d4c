"""The timeline's Gantt chart and the portfolio's charts are plain Vega-Lite specs (dicts with
their data inline) drawn by ``st.vega_lite_chart``: building and showing them never imports
Altair (about 23 MB in every app process), and every spec is valid JSON (no NaN: None)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from mapping.parts import timeline_sections
from mapping.parts.gantt import COLOURS, ROW_PX, gantt_chart
from mapping.parts.portfolio_tables import slip_chart, trend_charts

ROOT = Path(__file__).resolve().parents[2]
AS_OF = date(2025, 3, 1)
NAT = pd.NaT

# Builds every chart from the small frames below, shows each with st.vega_lite_chart (bare
# mode: no server) and prints the specs and whether Altair got loaded.
PROBE = """
import json, sys
import streamlit as st
import mapping.parts.timeline_sections
from mapping.parts.gantt import gantt_chart
from mapping.parts.portfolio_tables import slip_chart, trend_charts
from tests.unit.test_charts_without_altair import AS_OF, small_measures, small_record, small_trend
derived, actions, project = small_record()
specs = [gantt_chart(derived, actions, project, AS_OF), slip_chart(small_measures(), "agency"),
         *trend_charts(small_trend())]
for spec in specs:
    st.vega_lite_chart(spec, width="stretch")
EXTRA
print(json.dumps({"altair": sorted(m for m in sys.modules if m.split(".")[0] == "altair"),
                  "specs": specs}, allow_nan=False))
"""


def small_record() -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """Two actions (the second paused since 2025-01-15, still open), three milestones: a
    completed one, a month-precise one depending on it (critical path), an undated slip."""
    day = pd.Timestamp
    derived = pd.DataFrame({
        "milestone_id": ["m1", "m2", "m3"],
        "action_id": ["a1", "a1", "a2"],
        "sequence": [1, 2, 1],
        "name": ["Notice of intent", "Draft EIS", "Permit issued"],
        "predecessor_id": ["", "m1", ""],
        "baseline_target": [day("2024-03-01"), day("2025-01-31"), day("2025-09-30")],
        "effective_target": [day("2024-03-01"), day("2025-06-30"), day("2025-09-30")],
        "actual_as_of": [day("2024-03-01"), NAT, NAT],
        "baseline_target_precision": ["", "month", "quarter"],
        "effective_target_precision": ["", "", "quarter"],
        "actual_completion_precision": ["", "", ""],
        "state": ["complete", "scheduled", "paused"],
        "slip_days": [0.0, 150.0, float("nan")],
        "on_critical_path": [True, True, False],
    })
    actions = pd.DataFrame({
        "action_id": ["a1", "a2"],
        "action_type": ["Environmental Impact Statement (EIS)", "Section 404 permit"],
        "agency": ["BLM", "USACE"],
        "status": ["In Progress", "Paused"],
        "pause_start": [NAT, day("2025-01-15")],
        "pause_end": [NAT, NAT],
        "pause_reason": ["", "Sponsor request"],
    })
    project = pd.Series({"pause_start": NAT, "pause_end": NAT, "pause_reason": ""})
    return derived, actions, project


def small_measures() -> pd.DataFrame:
    return pd.DataFrame({"agency": ["BLM", "USFS", "USACE", "DOE"],
                         "median_slip_days": [14.0, -115.0, float("nan"), 1492.0],
                         "p90_slip_days": [20.0, -115.0, float("nan"), float("nan")],
                         "milestones": [10, 5, 3, 4],
                         "actions Complete": [1, 0, 0, 2]})


def small_trend() -> pd.DataFrame:
    return pd.DataFrame({"period": pd.to_datetime(["2024-01-01", "2024-04-01"]),
                         "completed": [2, 1], "on_time_share": [0.5, 1.0],
                         "median_slip_days": [14.0, float("nan")]})


def _probe(extra: str = "") -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", PROBE.replace("EXTRA", extra)], cwd=ROOT,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_building_and_showing_the_charts_loads_no_altair() -> None:
    result = _probe()
    assert result["altair"] == []
    derived, actions, project = small_record()
    assert result["specs"] == [gantt_chart(derived, actions, project, AS_OF),
                               slip_chart(small_measures(), "agency"),
                               *(trend_charts(small_trend()) or ())]


def test_the_probe_sees_altair_when_it_is_loaded() -> None:
    assert "altair" in _probe("import altair")["altair"]


def _layers(spec: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The layers by mark type, in order."""
    out: dict[str, list[dict[str, Any]]] = {}
    for layer in spec["layer"]:
        out.setdefault(layer["mark"]["type"], []).append(layer)
    return out


def _strict_json(spec: object) -> Any:
    return json.loads(json.dumps(spec, allow_nan=False))


@pytest.fixture()
def gantt() -> dict[str, Any]:
    spec = gantt_chart(*small_record(), AS_OF)
    assert spec is not None
    parsed: dict[str, Any] = _strict_json(spec)
    assert parsed == spec  # nothing but JSON in it
    return parsed


def test_the_gantt_has_every_layer_in_drawing_order(gantt: dict[str, Any]) -> None:
    assert [layer["mark"]["type"] for layer in gantt["layer"]] == [
        "rect",  # paused
        "bar", "point",  # baseline: Draft EIS from Notice of intent; diamonds for the others
        "bar", "point",  # current target
        "point",  # actual: only Notice of intent is done, a diamond
        "line", "rule", "text"]  # the dependency, the as-of rule and its label
    assert gantt["height"] == {"step": ROW_PX} and "$schema" not in gantt


def test_the_gantt_rows_are_labelled_headers_first(gantt: dict[str, Any]) -> None:
    y = gantt["layer"][1]["encoding"]["y"]
    order = ["h000", "m000000", "m000001", "h001", "m001000"]
    assert y["sort"] == y["scale"]["domain"] == order
    labels = json.loads(y["axis"]["labelExpr"].removesuffix("[datum.value]"))
    assert labels == {"h000": "EIS · BLM · In Progress", "m000000": "1. Notice of intent",
                      "m000001": "2. Draft EIS", "h001": "Section 404 permit · USACE · Paused",
                      "m001000": "1. Permit issued"}
    assert y["axis"]["labelFontWeight"]["condition"]["value"] == "bold"


def test_the_gantt_bars_sit_apart_in_their_colours(gantt: dict[str, Any]) -> None:
    layers = _layers(gantt)
    assert [b["mark"]["yOffset"] for b in layers["bar"]] == [-9, 0]
    assert [p["mark"]["yOffset"] for p in layers["point"]] == [-9, 0, 9]
    assert all(p["mark"]["shape"] == "diamond" and p["mark"]["filled"]
               for p in layers["point"])
    colour = layers["bar"][0]["encoding"]["color"]
    assert dict(zip(colour["scale"]["domain"], colour["scale"]["range"], strict=True)) == COLOURS
    baseline = layers["bar"][0]["data"]["values"]
    assert [(b["milestone"], b["start"], b["end"], b["date"], b["from"]) for b in baseline] == [
        ("Draft EIS", "2024-03-01T00:00:00", "2025-01-31T00:00:00", "2025-01", "2024-03-01")]
    assert layers["bar"][0]["encoding"]["x2"] == {"field": "end"}
    assert layers["bar"][0]["data"]["format"]["parse"] == {"start": "date", "end": "date"}


def test_the_gantt_outlines_the_critical_path_only_on_current_targets(
        gantt: dict[str, Any]) -> None:
    layers = _layers(gantt)
    current = layers["bar"][1]
    assert current["data"]["values"][0]["critical"] == "critical path"
    assert {b["critical"] for b in layers["bar"][0]["data"]["values"]} == {""}  # baseline
    stroke = current["encoding"]["stroke"]
    assert stroke["condition"]["test"] == "datum.critical != ''"
    assert stroke["condition"]["scale"] == {"domain": ["critical path"], "range": ["#111111"]}
    assert stroke["value"] is None


def test_the_gantt_diamonds_have_no_start_and_no_nan(gantt: dict[str, Any]) -> None:
    points = _layers(gantt)["point"][1]["data"]["values"]  # current target diamonds
    assert [(p["milestone"], p["start"], p["end"], p["slip_days"]) for p in points] == [
        ("Notice of intent", None, "2024-03-01T00:00:00", 0.0),
        ("Permit issued", None, "2025-09-30T00:00:00", None)]
    assert _layers(gantt)["point"][1]["encoding"]["x"]["field"] == "end"


def test_the_gantt_shades_the_pause_and_links_the_dependency(gantt: dict[str, Any]) -> None:
    layers = _layers(gantt)
    pause = layers["rect"][0]
    assert [(p["row"], p["start"], p["end"], p["reason"]) for p in pause["data"]["values"]] == [
        (row, "2025-01-15T00:00:00", "2025-03-01T00:00:00", "Sponsor request")
        for row in ("h001", "m001000")]  # an open pause runs to the as-of date
    assert [t["format"] for t in pause["encoding"]["tooltip"] if "format" in t] == [
        "%Y-%m-%d", "%Y-%m-%d"]
    link = layers["line"][0]
    assert [(p["row"], p["x"]) for p in link["data"]["values"]] == [
        ("m000000", "2024-03-01T00:00:00"), ("m000001", "2024-03-01T00:00:00")]
    assert link["mark"]["strokeDash"] == [3, 2] and link["encoding"]["detail"]["field"] == "link"


def test_the_gantt_marks_the_as_of_date_on_a_padded_scale(gantt: dict[str, Any]) -> None:
    layers = _layers(gantt)
    rule, text = layers["rule"][0], layers["text"][0]
    assert rule["mark"]["strokeDash"] == [6, 4] and rule["mark"]["color"] == "#D55E00"
    assert text["data"]["values"] == [{"x": "2025-03-01T00:00:00", "text": "as of 2025-03-01"}]
    # 2024-03-01 .. 2025-09-30 padded by 30 days each side, the same on every layer
    domains = {json.dumps(layer["encoding"]["x"]["scale"]) for layer in gantt["layer"]}
    assert domains == {json.dumps({"domain": ["2024-01-31T00:00:00", "2025-10-30T00:00:00"]})}
    assert gantt["layer"][1]["encoding"]["x"]["axis"]["format"] == "%b %Y"


def test_no_dated_milestone_means_no_gantt() -> None:
    derived, actions, project = small_record()
    undated = derived.copy()
    undated[["baseline_target", "effective_target", "actual_as_of"]] = NAT
    assert gantt_chart(undated, actions, project, AS_OF) is None


def test_the_slip_chart_puts_the_worst_first() -> None:
    spec = slip_chart(small_measures(), "agency")
    assert spec is not None and _strict_json(spec) == spec
    assert spec["encoding"]["y"]["sort"] == ["DOE", "BLM", "USFS"]  # USACE has no slip
    assert spec["data"]["values"][-1] == {"agency": "DOE", "median_slip_days": 1492.0,
                                          "p90_slip_days": None, "milestones": 4}
    assert spec["mark"] == {"type": "bar", "color": "#0072B2"}
    assert spec["height"] == {"step": 26}
    assert [t["title"] for t in spec["encoding"]["tooltip"]] == [
        "Agency", "Median slip (days)", "90th percentile (days)", "Milestones"]
    assert slip_chart(small_measures().assign(median_slip_days=float("nan")), "agency") is None


def test_the_trend_charts_show_share_and_slip_by_quarter() -> None:
    charts = trend_charts(small_trend())
    assert charts is not None
    share, median = charts
    for spec, colour in ((share, "#009E73"), (median, "#D55E00")):
        assert _strict_json(spec) == spec
        assert spec["mark"] == {"type": "line", "point": True, "color": colour}
        assert spec["encoding"]["x"]["axis"]["format"] == "%Y Q%q"
        assert spec["height"] == 240
    assert share["encoding"]["y"]["scale"] == {"domain": [0, 100]}
    assert [(r["period"], r["on_time_pct"], r["median_slip_days"])
            for r in share["data"]["values"]] == [("2024-01-01T00:00:00", 50.0, 14.0),
                                                  ("2024-04-01T00:00:00", 100.0, None)]
    assert (share["title"], median["title"]) == ("On-time share", "Median slip")
    assert trend_charts(small_trend().iloc[:0]) is None


def test_the_timeline_shows_the_gantt_with_vega_lite(monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[tuple[object, dict[str, object]]] = []
    monkeypatch.setattr(timeline_sections.st, "vega_lite_chart",
                        lambda spec, **kw: shown.append((spec, kw)))
    monkeypatch.setattr(timeline_sections.st, "caption", lambda *a, **kw: None)
    timeline_sections.gantt(*small_record(), AS_OF)
    assert shown == [(gantt_chart(*small_record(), AS_OF), {"width": "stretch"})]
