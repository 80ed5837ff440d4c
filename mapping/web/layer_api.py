"""What the layer routes answer: a vector layer's features as GeoJSON, a raster layer's tiles.

User errors raise InputError or NotFoundError; ``mapping.web.routes`` turns them into status codes.
"""

from __future__ import annotations

import functools
import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from rasterio.errors import RasterioError

from domain.access import Principal
from domain.bbox import BBox
from domain.errors import InputError, NotFoundError
from domain.i18n import current_language, language, ntr, tr
from domain.settings import load_settings
from exports.export_file import ExportFile, ExportFormat
from exports.geojson import export_table, geojson_bytes
from layers.features import Features
from layers.tiles import RasterStyle, render_tile
from mapping.store_access import engine
from mapping.webmap.survey_overlays import WHOLE_LAYER_LIMIT
from services.layer_export import (
    COG_MEDIA_TYPE,
    check_export,
    cog_download,
    export_vector_layer,
    raster_download_name,
)
from services.publishing import raster_path
from store.layer_repo import LayerRecord, get_layer, layer_features

POPUP_FIELDS = 12  # a popup lists this many properties at most
PRECISION = 6  # decimals of a degree: about 0.1 m
CACHED_LAYER_LIMIT = 50_000  # features of a layer whose whole GeoJSON text may be cached


def layer_geojson(layer_id: str, params: dict[str, str] | None = None, *,
                  principal: Principal) -> bytes:
    """A vector layer's features as RFC 7946 GeoJSON (the exports' writer): all of them, or, for a
    layer of more than :data:`WHOLE_LAYER_LIMIT` features, those meeting ``bbox`` (at most
    that many; ``"truncated": true`` says when more were there).

    Each feature carries only ``popup``: its properties as an HTML table, escaped here, since
    Leaflet shows popup text as HTML. A layer marked above ``principal``'s clearance is
    answered as an unknown one.
    """
    record = get_layer(engine(), layer_id, principal)
    if record.kind != "vector":
        raise InputError(tr("Layer {name} is a raster; its pixels are served as tiles from "
                            "{url}.").format(name=repr(record.name),
                                             url=f"/tiles/{layer_id}/{{z}}/{{x}}/{{y}}.png"))
    bbox = BBox.optional((params or {}).get("bbox"))
    if bbox is None and record.feature_count <= CACHED_LAYER_LIMIT:
        # the popups' words are in the request's language: part of the key
        return _cached_geojson(record.id, record.version, current_language())
    return _geojson(record.id, bbox, limit=WHOLE_LAYER_LIMIT)


@functools.lru_cache(maxsize=8)
def _cached_geojson(layer_id: str, _version: int, in_language: str) -> bytes:
    with language(in_language):
        return _geojson(layer_id, None, limit=None)


def _geojson(layer_id: str, bbox: BBox | None, limit: int | None) -> bytes:
    rows = layer_features(engine(), layer_id, bbox, None if limit is None else limit + 1)
    truncated = limit is not None and len(rows) > limit
    if truncated:
        rows = rows.iloc[:limit]
    geometries = shapely.from_wkb(rows["geometry"].to_numpy())
    drawn = ~(shapely.is_missing(geometries) | shapely.is_empty(geometries))
    features = Features(pd.DataFrame(
        {"id": rows["feature_no"].astype(str).to_numpy()[drawn],
         "popup": [popup_html(text) for text in rows["properties"].to_numpy()[drawn]]}),
        geometries[drawn])
    text, _ = geojson_bytes(export_table(features), PRECISION,
                            members={"truncated": True} if truncated else None)
    return text


def popup_html(properties_json: str) -> str:
    """A feature's properties as an escaped HTML table (the first few, then a count).

    >>> popup_html('{"name": "<b>Claim 7</b>", "note": ""}')
    '<table><tr><th>name</th><td>&lt;b&gt;Claim 7&lt;/b&gt;</td></tr></table>'
    """
    properties: dict[str, Any] = json.loads(properties_json or "{}")
    items = [(k, v) for k, v in properties.items() if v is not None and v != ""]
    rows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
                   for k, v in items[:POPUP_FIELDS])
    more = len(items) - POPUP_FIELDS
    if not rows:
        return "<i>" + html.escape(tr("no attributes")) + "</i>"
    tail = ("<tr><td colspan=2>" + html.escape(ntr("… {n} more", "… {n} more", more).format(
        n=more)) + "</td></tr>") if more > 0 else ""
    return f"<table>{rows}{tail}</table>"


@dataclass(frozen=True)
class OnDisk:
    """A download served straight from a file (a raster's COG: no copy in memory)."""

    path: Path
    file_name: str
    media_type: str


def layer_download(layer_id: str, fmt: str, *, principal: Principal) -> ExportFile | OnDisk:
    """An uploaded layer in the asked format: a vector layer in any export format, a raster
    as its Cloud-Optimized GeoTIFF. Checked and audited for ``principal`` (the request's:
    :func:`mapping.access_state.request_principal`)."""
    record = get_layer(engine(), layer_id, principal)
    check_export(engine(), record, principal)  # before any message names the layer
    if record.kind == "raster":
        if fmt not in ("", "tif", "cog"):
            raise InputError(tr("{name} is a raster: it downloads as its Cloud-Optimized "
                                "GeoTIFF (format=tif).").format(name=record.name))
        path = cog_download(engine(), record, load_settings().layer_dir, principal=principal)
        return OnDisk(path, raster_download_name(record), COG_MEDIA_TYPE)
    formats = [f.value for f in ExportFormat]
    if fmt not in formats:
        raise InputError(tr("format {format} is not one we write: use one of {formats}.").format(
            format=repr(fmt), formats=", ".join(formats)))
    return export_vector_layer(engine(), record, ExportFormat(fmt), principal=principal)


def tile_png(layer_id: str, z: int, x: int, y: int, *, principal: Principal) -> bytes:
    """One 256-pixel PNG tile of a raster layer, drawn with the layer's style; a transparent
    tile where the raster has no data. A layer marked above ``principal``'s clearance is
    answered as an unknown one."""
    if not (0 <= z <= 24 and 0 <= x < 2**z and 0 <= y < 2**z):
        raise InputError(tr("Tile {z}/{x}/{y} does not exist: z is 0 to 24 and x, y are 0 to "
                            "2^z − 1.").format(z=z, x=x, y=y))
    record = get_layer(engine(), layer_id, principal)
    if record.kind != "raster":
        raise InputError(tr("Layer {name} holds vector features; read them from {url}.").format(
            name=repr(record.name), url=f"/api/layers/{layer_id}/features.geojson"))
    path = raster_path(record, load_settings().layer_dir)
    try:
        png = render_tile(path, z, x, y, raster_style(record))
    except (OSError, RasterioError) as exc:  # deleted or damaged since it was published
        raise NotFoundError(tr("The file of layer {name} cannot be read ({error}); it may have "
                               "been deleted. Publish the layer again.").format(
                                   name=repr(record.name), error=exc)) from exc
    return png if png is not None else EMPTY_TILE


def raster_style(record: LayerRecord) -> RasterStyle:
    """The tile style stored with a raster layer."""
    style = record.style
    stretch = style.get("stretch")
    return RasterStyle(colormap=style.get("colormap"),
                       stretch=(float(stretch[0]), float(stretch[1])) if stretch else None)


def _empty_tile() -> bytes:
    from rio_tiler.models import ImageData

    image = ImageData(np.zeros((1, 256, 256), dtype="uint8"))
    image.array.mask = True
    return image.render(img_format="PNG", add_mask=True)


EMPTY_TILE = _empty_tile()
