"""AppTest: a site's panel gives each published raster's value at the site (or says there is
no data there), read from the layer's COG."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.support.sample_store import sample_engine, use_sample_store
from tests.support.survey_grids import publish_grid, value_at

MAIN = str(Path(__file__).resolve().parents[2] / "mapping" / "main.py")


def _records_of(site_id: str) -> str:
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.query_params["site"] = site_id
    at.run()
    assert not at.exception
    expander = next(e for e in at.expander if e.label.startswith("Records of this place"))
    return "\n".join(m.value for m in expander.markdown)


def test_a_sites_panel_gives_a_rasters_value_there(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    use_sample_store(tmp_path, monkeypatch, "panel.db")
    publish_grid(sample_engine(tmp_path, "panel.db"), tmp_path)
    expected = value_at(-118.07, 41.7)  # us-alpha sits on a pixel centre
    assert (f"survey layer **Magnetics grid** (raster) covers it: {expected:.6g} here"
            in _records_of("us-alpha"))
    # us-xss sits on the pixel set to no data
    assert "survey layer **Magnetics grid** (raster) covers it: no data here" in _records_of(
        "us-xss")
