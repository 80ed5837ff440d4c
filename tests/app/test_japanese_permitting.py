"""AppTest: the permitting pages in Japanese (``?lang=ja``): the site timeline (with its edit
forms and handling-marking control), the portfolio, the alerts and the chokepoints show no
English text of their own code where the catalog has Japanese, and their labels are the
catalog's."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from domain.i18n import language, tr
from mapping import state_keys as keys
from mapping.catalogs import extract
from permits.portfolio import GROUPINGS
from sites.chokepoints import REGION_LABELS, REGIONS
from tests.support.sample_store import use_sample_store

MAIN = str(Path(__file__).resolve().parents[2] / "mapping" / "main.py")
#: The files whose texts these pages show (their msgids are the ones looked for).
FILES = ("mapping/pages/timeline_page.py", "mapping/parts/timeline_sections.py",
         "mapping/parts/milestone_form.py", "mapping/parts/action_form.py",
         "mapping/pages/portfolio_page.py", "mapping/parts/portfolio_tables.py",
         "mapping/pages/alerts_page.py", "mapping/parts/alert_list.py",
         "mapping/pages/chokepoints_page.py", "mapping/parts/marking_control.py",
         "mapping/parts/procedure_form.py")
#: The proto fields that hold text a person reads.
TEXT_FIELDS = ("label", "body", "help", "placeholder")


@pytest.fixture(autouse=True)
def sample_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_sample_store(tmp_path, monkeypatch, "app.db")


def _japanese(text: str) -> str:
    with language("ja"):
        return tr(text)


@cache
def _english_msgids() -> tuple[str, ...]:
    """The English texts of :data:`FILES` that have a different Japanese translation."""
    found = []
    for message in extract():
        if not message.id or not any(f in FILES for f, _ in message.locations):
            continue
        text = message.id if isinstance(message.id, str) else message.id[0]
        if _japanese(text) != text:
            found.append(text)
    return tuple(found)


def _page(page: str) -> AppTest:
    """``page`` in Japanese (the language is taken from the link on the first run)."""
    at = AppTest.from_file(MAIN, default_timeout=90)
    at.query_params["lang"] = "ja"
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _nodes(at: AppTest) -> Iterator[Any]:
    def walk(node: Any) -> Iterator[Any]:
        if getattr(node, "proto", None) is not None:
            yield node
        for child in getattr(node, "children", {}).values():
            yield from walk(child)

    yield from walk(at._tree)


def _titles(spec: Any) -> Iterator[str]:
    """Every ``title`` of a Vega-Lite spec (axes, tooltips, the chart's)."""
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key == "title" and isinstance(value, str):
                yield value
            yield from _titles(value)
    elif isinstance(spec, list):
        for value in spec:
            yield from _titles(value)


def _texts(at: AppTest, *, charts: bool = False) -> set[str]:
    """The texts a person reads on the page: element labels, bodies, help texts,
    placeholders, table column labels (and, with ``charts``, chart titles), with the pieces
    of markdown lines (``**Label:** value``) as well."""
    texts: set[str] = set()
    for node in _nodes(at):
        proto = node.proto
        for field in TEXT_FIELDS:
            value = getattr(proto, field, None)
            if isinstance(value, str) and value:
                texts.add(value)
        columns = getattr(proto, "columns", None)
        if isinstance(columns, str) and columns.startswith("{"):
            for config in json.loads(columns).values():
                if isinstance(config, dict):
                    texts.update(str(config[k]) for k in ("label", "help") if config.get(k))
                    shown = (config.get("type_config") or {}).get("display_text")
                    if shown:
                        texts.add(str(shown))
        spec = getattr(proto, "spec", None)
        if charts and isinstance(spec, str) and spec.startswith("{"):
            texts.update(_titles(json.loads(spec)))
    pieces = set()
    for text in texts:
        plain = text.replace("\\", "")
        pieces.update(re.findall(r"\[([^\]]+)\]\(", plain))  # the words of links
        for piece in re.split(r"\*\*|\n- |\n| · ", plain):
            piece = piece.strip().removeprefix("- ").lstrip(": ").strip()
            pieces |= {piece, piece.rstrip(":").strip()}
    return texts | pieces


def _template(msgid: str) -> re.Pattern[str] | None:
    """A pattern for a msgid with ``{fields}`` (each field any text); None when what is left
    is too short to tell it from data."""
    literal = re.sub(r"\{\w+\}", "", msgid)
    if len(re.findall(r"[A-Za-z]", literal)) < 6:
        return None
    parts = re.split(r"\{\w+\}", msgid)
    return re.compile(".*?".join(re.escape(p) for p in parts), re.DOTALL)


def _english_left(at: AppTest, *, charts: bool = False) -> list[str]:
    """The English msgids of :data:`FILES` that the page shows as they are: a text equal to
    one, or filled in from one with fields, or holding a long sentence of one."""
    texts = _texts(at, charts=charts)

    def shown(msgid: str) -> bool:
        if msgid in texts or msgid.strip() in texts:
            return True
        if "{" not in msgid:
            return len(msgid) >= 30 and any(msgid in t for t in texts)
        pattern = _template(msgid)
        return pattern is not None and any(pattern.fullmatch(t) for t in texts)

    return [msgid for msgid in _english_msgids() if shown(msgid)]


def _options(at: AppTest, key: str) -> list[str]:
    widget = next(n for n in _nodes(at) if str(getattr(n.proto, "id", "")).endswith(key))
    return list(widget.proto.options)


def test_the_site_timeline_in_japanese() -> None:
    at = _page("pages/timeline_page.py")
    assert _english_left(at) == []
    assert at.title[0].value == _japanese("Site timeline") != "Site timeline"
    assert at.selectbox(key=keys.TIMELINE_SITE).label == _japanese("Site")
    assert _japanese("History") in [s.value for s in at.subheader]
    assert _japanese("Change a milestone") in [s.value for s in at.subheader]
    assert at.selectbox(key=keys.EDIT_MILESTONE).label == _japanese("Milestone")
    assert _options(at, "edit_extension_pm-alpha-404-permit_0") == [
        _japanese("No extension request"), _japanese("Extension request approved"),
        _japanese("Extension request rejected")]
    assert at.selectbox(key=keys.ACTION_EDIT).label == _japanese("Action")
    metrics = [m.label for m in at.metric]
    assert _japanese("Schedule health") in metrics and _japanese("Next target") in metrics
    # the handling-marking control (open access may mark) in the sidebar
    assert _japanese("the whole {kind}").format(kind=_japanese("site")) in _options(
        at, f"{keys.MARK_TARGET}_site_us-alpha")
    assert any(b.label == _japanese("Set the marking") for b in at.button)


def test_a_saved_action_is_reported_in_japanese() -> None:
    at = _page("pages/timeline_page.py")
    action = str(at.selectbox(key=keys.ACTION_EDIT).value)
    at.text_input(key=keys.action_key(action, "outcome", 0)).set_value("FONSI")
    at.text_input(key=keys.action_key(action, "who", 0)).set_value("Ada")
    next(b for b in at.button if b.label == _japanese("Save the action")).click().run()
    assert not at.exception
    notices = [s.value for s in at.success]
    saved = _japanese("Saved")
    assert any(n.startswith(saved) and "FONSI" in n for n in notices), notices
    assert _english_left(at) == []


def test_the_portfolio_in_japanese() -> None:
    at = _page("pages/portfolio_page.py")
    assert _english_left(at, charts=True) == []
    assert at.title[0].value == _japanese("Portfolio") != "Portfolio"
    group_by = at.radio(key=keys.PORTFOLIO_GROUP)
    assert group_by.label == _japanese("Group by")
    assert _options(at, keys.PORTFOLIO_GROUP) == [_japanese(g) for g in GROUPINGS]
    assert _japanese("Trend") in [s.value for s in at.subheader]
    group_by.set_value("action type").run()
    assert not at.exception
    heading = _japanese("Median slip by {group}").format(group=_japanese("action type"))
    assert f"**{heading}**" in [m.value for m in at.markdown]
    assert _english_left(at, charts=True) == []


def test_the_alerts_in_japanese() -> None:
    at = _page("pages/alerts_page.py")
    assert _english_left(at) == []
    assert at.title[0].value == _japanese("Alerts") != "Alerts"
    said = "\n".join(str(m.value) for m in at.markdown)
    assert _japanese("Alerts are worked out for the “View as of” date in the sidebar.") in said


def test_the_chokepoints_in_japanese() -> None:
    at = _page("pages/chokepoints_page.py")
    assert _english_left(at) == []
    assert at.title[0].value == _japanese("Supply-chain chokepoints")
    assert at.radio(key=keys.CHOKEPOINT_REGION).label == _japanese("Region")
    assert _options(at, keys.CHOKEPOINT_REGION) == [_japanese(REGION_LABELS[r])
                                                     for r in REGIONS]
    assert at.toggle(key=keys.CHOKEPOINT_PROJECTED).label == _japanese("Projected")
    at.toggle(key=keys.CHOKEPOINT_PROJECTED).set_value(True).run()
    assert not at.exception
    assert _english_left(at) == []
    assert at.caption[0].value.startswith(_japanese(
        "Sites by development status, {date}, projected: producing · under construction · in "
        "permitting (permitting or permitted); (one): a single producing source, (none): no "
        "producing source. Development statuses are as now recorded; the date chooses the "
        "permitting record and the projection. A cell opens its sites on the map."
    ).split("{date}")[0])
