"""Streamlit AppTest of one page of the app as a given person (the page's
``current_principal`` answers them), with query parameters, run once."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from domain.access import Principal

MAIN = str(Path(__file__).resolve().parents[2] / "mapping" / "main.py")


def page_as(monkeypatch: pytest.MonkeyPatch, who: Principal, page: str,
            **query: str) -> AppTest:
    """``page`` (``pages/map_page.py``) run through the router for ``who``; fails on an
    exception."""
    import mapping.access_state

    monkeypatch.setattr(mapping.access_state, "current_principal", lambda: who)
    at = AppTest.from_file(MAIN, default_timeout=90)
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at
