"""The layer catalog's sampling section: a raster's values at the sites or deposits (or its
statistics within a radius or within a polygon layer's features), a vector layer's features
near them, as a table with a CSV download.

Nothing is read until the section's switch is on, so a catalog of many layers stays fast;
each table is cached per data and layer revision, clearance and choice, and the download,
which lets it leave, is audited as an export when clicked."""

from __future__ import annotations

import functools

import streamlit as st

from domain.access import Principal
from domain.i18n import N_, tr
from domain.settings import load_settings
from mapping import state_keys as keys
from mapping.cached import cached_layers
from mapping.page_errors import show_user_errors
from mapping.parts.grid import grid
from mapping.store_access import data_version, engine
from services.layer_sampling import (
    DEFAULT_DISTANCE_KM,
    MAX_DISTANCE_KM,
    MAX_RADIUS_KM,
    LayerSample,
    SampleAt,
    SampleRequest,
    record_sampling,
    sample_layer,
)
from store.layer_repo import LayerRecord, layer_revision

AT_LABELS = {SampleAt.SITES: N_("Sites"), SampleAt.DEPOSITS: N_("Deposits near the layer"),
             SampleAt.POLYGONS: N_("Each polygon (choose the layer)")}
#: What the table's rows are, for its caption ("12 sites").
AT_ROWS = {SampleAt.SITES: N_("sites"), SampleAt.DEPOSITS: N_("deposits"),
           SampleAt.POLYGONS: N_("polygons")}
COLUMN_LABELS = {"id": N_("Id"), "name": N_("Name"), "lon": N_("Lon"), "lat": N_("Lat"),
                 "marking": N_("Marking"), "value": N_("Value"), "min": N_("Min"),
                 "max": N_("Max"), "mean": N_("Mean"), "count": N_("Valid pixels"),
                 "pixel_size": N_("Pixel size"), "features": N_("Features"),
                 "feature_ids": N_("Feature ids")}


def _at_labels() -> dict[SampleAt, str]:
    """The choices of where to sample, in the page's language (for a ``format_func``)."""
    return {at: tr(label) for at, label in AT_LABELS.items()}


def sampling_section(record: LayerRecord, principal: Principal) -> None:
    """"Values at the sites" for a raster, "Features near the sites" for a vector layer."""
    raster = record.kind == "raster"
    title = tr("Values at the sites") if raster else tr("Features near the sites")
    st.markdown(f"**{title}**")
    key = functools.partial(keys.layer_key, record.id, version=record.version)
    if not st.toggle(tr("Show the table"), key=key(keys.SAMPLE_SHOW),
                     help=tr("Reads the layer at every site (or deposit) you may see.")):
        return
    with show_user_errors():
        request = _raster_request(record, principal) if raster else _vector_request(record)
        sample = _sampled(request, principal)
        _show(sample, principal, key(keys.SAMPLE_DOWNLOAD))


def _raster_request(record: LayerRecord, principal: Principal) -> SampleRequest:
    key = functools.partial(keys.layer_key, record.id, version=record.version)
    left, middle, right = st.columns(3)
    at = left.radio(tr("At"), list(SampleAt), format_func=_at_labels().__getitem__,
                    key=key(keys.SAMPLE_AT))
    radius = middle.number_input(
        tr("Radius (km)"), min_value=0.0, max_value=MAX_RADIUS_KM, value=0.0, step=1.0,
        key=key(keys.SAMPLE_RADIUS),
        help=tr("0: the value at each place. More: the min, max, mean and count of valid "
                "pixels within that distance (no data left out)."))
    polygons = {r.id: r.name for r in cached_layers(principal)
                if r.kind == "vector" and r.geometry_type == "Polygon"}
    choices: dict[str | None, str] = {None: tr("(none)")}
    choices.update(polygons)
    within = right.selectbox(
        tr("Or within the polygons of"), list(choices), key=key(keys.SAMPLE_WITHIN),
        format_func=choices.__getitem__,
        disabled=not polygons or radius > 0,
        help=tr("The statistics within the polygons of that layer each place lies in; with "
                "'Each polygon', within each of them."))
    return SampleRequest(record.id, SampleAt(at or SampleAt.SITES), radius_km=float(radius) or None,
                         within=within if radius == 0 else None)


def _vector_request(record: LayerRecord) -> SampleRequest:
    key = functools.partial(keys.layer_key, record.id, version=record.version)
    left, right = st.columns(2)
    at = left.radio(tr("At"), [SampleAt.SITES, SampleAt.DEPOSITS],
                    format_func=_at_labels().__getitem__, key=key(keys.SAMPLE_AT))
    distance = right.number_input(
        tr("Distance (km)"), min_value=0.0, max_value=MAX_DISTANCE_KM,
        value=DEFAULT_DISTANCE_KM, step=1.0, key=key(keys.SAMPLE_DISTANCE),
        help=tr("The features within this distance of each place; 0: those it lies in or "
                "on."))
    return SampleRequest(record.id, SampleAt(at or SampleAt.SITES), distance_km=float(distance))


def _sampled(request: SampleRequest, principal: Principal) -> LayerSample:
    """The table, computed once per data and layer revision, clearance and request."""
    database, revision = data_version()
    # The spinner here, not the cache's: its words are the page's language (shown only when
    # the reading takes a while, so not when the table is cached).
    with st.spinner(tr("Reading the layer at each place…")):
        return _sample(database, revision, layer_revision(engine()), principal.clearance,
                       request.layer_id, str(request.at), request.radius_km, request.within,
                       request.distance_km, _principal=principal)


@st.cache_data(show_spinner=False, max_entries=32)
def _sample(database: str, revision: int, layers: int, clearance: str, layer_id: str,
            at: str, radius_km: float | None, within: str | None,
            distance_km: float | None, *, _principal: Principal) -> LayerSample:
    request = SampleRequest(layer_id, SampleAt(at), radius_km=radius_km, within=within,
                            distance_km=distance_km)
    return sample_layer(engine(), request, load_settings().layer_dir, principal=_principal,
                        audit=False)


def _show(sample: LayerSample, principal: Principal, download_key: str) -> None:
    rows = sample.rows
    columns = {name: tr(label) for name, label in COLUMN_LABELS.items()}
    grid(rows.rename(columns=columns), hide_index=True, width="stretch",
                 height=min(35 * (len(rows) + 1) + 3, 400))
    st.caption(tr("{n} {rows}{measured}. Marking of the table: {marking}.").format(
        n=f"{len(rows):,}", rows=tr(AT_ROWS[SampleAt(sample.request.at)]),
        measured=_measured(sample), marking=sample.marking))
    st.download_button(tr("Download the table (CSV)"), data=sample.csv(),
                       file_name=sample.file_name(), mime="text/csv", key=download_key,
                       icon=":material/download:", on_click=_audited,
                       args=(principal, sample))


def _measured(sample: LayerSample) -> str:
    """What the numbers are, in words, for the caption."""
    if sample.layer.kind != "raster":
        return ""
    if sample.request.radius_km or sample.within:
        return tr("; statistics of the valid pixels, read at the pixel size shown (an "
                  "overview for a large zone)")
    return tr("; the value of the pixel each lies in (blank: outside the raster or no data)")


def _audited(principal: Principal, sample: LayerSample) -> None:
    """The download's audit row (the table was shown without one, as the map is)."""
    record_sampling(engine(), principal, sample, "CSV download")
