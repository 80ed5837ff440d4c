"""AppTest: a site's panel gives each published raster's value at the site (or says there is
no data there), read from the layer's COG."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from store.layer_repo import LayerRecord
from tests.unit.test_layer_sampling_store import _value_at, raster, store  # noqa: F401

MAIN = str(Path(__file__).resolve().parents[2] / "mapping" / "main.py")


def _records_of(site_id: str) -> str:
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.query_params["site"] = site_id
    at.run()
    assert not at.exception
    expander = next(e for e in at.expander if e.label.startswith("Records of this place"))
    return "\n".join(m.value for m in expander.markdown)


def test_a_sites_panel_gives_a_rasters_value_there(store: Engine,  # noqa: F811
                                                   raster: LayerRecord) -> None:  # noqa: F811
    expected = _value_at(-118.07, 41.7)  # us-alpha sits on a pixel centre
    assert (f"survey layer **Magnetics grid** (raster) covers it: {expected:.6g} here"
            in _records_of("us-alpha"))
    # us-xss sits on the pixel set to no data
    assert "survey layer **Magnetics grid** (raster) covers it: no data here" in _records_of(
        "us-xss")
