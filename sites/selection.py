"""What a site export holds: the selection (filters, map extent, as-of date) read from URL or
command-line parameters, the file name that says what it holds, and the rows to write.

The page, ``GET /api/sites.geojson`` and ``permitmap export sites`` all go through
:func:`export_frame` with a :class:`SiteSelection`, so the same filters give the same sites.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime

import pandas as pd

from domain.access import PUBLIC
from domain.bbox import BBox
from domain.errors import InputError
from domain.i18n import tr
from domain.vocab import DevStatus, Stage, commodity_label, split_codes
from layers.features import Features
from permits.dates import shown_column
from permits.vocab import DatePrecision, ScheduleHealth
from sites import query_params as qp
from sites.filters import SiteFilter, deposit_filter, filter_sites

COUNTRY_CODES = {"United States": "us", "Japan": "jp", "Australia": "au", "Canada": "ca",
                 "Estonia": "ee", "Vietnam": "vn", "India": "in", "Malaysia": "my",
                 "South Korea": "kr", "France": "fr", "Cuba": "cu"}
PARAMETERS = ("commodity", "stage", "status", "country", "jointly_selected", "q", "bbox",
              "as_of")


@dataclass(frozen=True)
class SiteSelection:
    """Which sites an export holds, and the date whose permitting state it carries."""

    filter: SiteFilter
    as_of: date
    bbox: BBox | None = None

    def describe(self) -> str:
        """The selection in words, for a briefing pack's README and picture.

        >>> SiteSelection(SiteFilter(), date(2026, 6, 30), BBox(-120, 35.5, -110, 45)).describe()
        'all sites inside -120,35.5,-110,45, as of 2026-06-30'
        """
        what = "all sites" if self.filter == SiteFilter() else self.filter.describe()
        extent = "" if self.bbox is None else f" inside {self.bbox}"
        return f"{what}{extent}, as of {self.as_of.isoformat()}"

    def url_params(self) -> dict[str, str]:
        """The selection as URL parameters of ``/api/sites.geojson`` (what
        :func:`parse_selection` reads back).

        >>> SiteSelection(SiteFilter(commodities=("Li",), jointly_selected_only=True),
        ...               date(2026, 6, 30)).url_params()
        {'commodity': 'Li', 'jointly_selected': 'true', 'as_of': '2026-06-30'}
        """
        f = self.filter
        params = {"commodity": ",".join(f.commodities), "stage": ",".join(f.stages),
                  "status": ",".join(f.statuses), "country": ",".join(f.countries),
                  "jointly_selected": "true" if f.jointly_selected_only else "",
                  "q": f.search, "as_of": self.as_of.isoformat(),
                  "bbox": str(self.bbox) if self.bbox else ""}
        return {name: value for name, value in params.items() if value}

    def file_stem(self) -> str:
        """``sites_li-ree_us-jp_2026-11-24``: the filters that narrow it, then the date.

        >>> SiteSelection(SiteFilter(commodities=("Li", "REE"),
        ...     countries=("United States", "Japan")), date(2026, 11, 24)).file_stem()
        'sites_li-ree_us-jp_2026-11-24'
        """
        f = self.filter
        parts = ["sites", "-".join(c.lower() for c in f.commodities),
                 "-".join(slug(s) for s in f.stages), "-".join(slug(s) for s in f.statuses),
                 "-".join(COUNTRY_CODES.get(c, slug(c)) for c in f.countries),
                 "joint" if f.jointly_selected_only else "", slug(f.search),
                 "-".join(slug(i) for i in f.site_ids), "bbox" if self.bbox else ""]
        # the date always ends the name, however long the filters
        return f"{'_'.join(p for p in parts if p)[:130]}_{self.as_of.isoformat()}"


def parse_selection(params: Mapping[str, str], today: date,
                    countries: tuple[str, ...] = ()) -> SiteSelection:
    """A selection from URL or command-line parameters (:data:`PARAMETERS`); InputError says
    which parameter is wrong and what it takes.

    ``commodity`` takes symbols or names in any case, several separated by commas (``Li``,
    ``lithium``); ``country`` any case of the names in ``countries``.
    """
    unknown = sorted(set(params) - set(PARAMETERS) - {"v"})
    if unknown:
        raise InputError(tr("Unknown parameter {unknown}: use {parameters}.").format(
            unknown=", ".join(unknown), parameters=", ".join(PARAMETERS)))
    site_filter = SiteFilter(
        commodities=tuple(qp.commodity(v) for v in qp.listed(params.get("commodity"))),
        stages=tuple(qp.choice("stage", v, [s.value for s in Stage])
                     for v in qp.listed(params.get("stage"))),
        statuses=tuple(qp.choice("status", v, [s.value for s in DevStatus])
                       for v in qp.listed(params.get("status"))),
        countries=tuple(qp.choice("country", v, list(countries)) if countries else v
                        for v in qp.listed(params.get("country"))),
        jointly_selected_only=qp.flag("jointly_selected", params.get("jointly_selected")),
        search=params.get("q", "").strip())
    return SiteSelection(site_filter, _as_of(params.get("as_of"), today),
                         BBox.optional(params.get("bbox")))


def select_sites(sites: pd.DataFrame, selection: SiteSelection) -> pd.DataFrame:
    """The sites the selection holds: filters, then the extent (sites without a location are
    outside every extent)."""
    chosen = filter_sites(sites, selection.filter)
    if selection.bbox is None:
        return chosen
    return chosen[selection.bbox.contains(chosen["lon"], chosen["lat"])]


def export_frame(sites: pd.DataFrame, state: pd.DataFrame, selection: SiteSelection,
                 exported_at: datetime) -> Features:
    """The selected sites as typed, flat rows with their permitting state on the as-of date,
    and a point for each located site (``None`` for the others).

    ``state`` is :func:`permits.site_state.site_permit_state`'s frame for that date. Plain
    pandas and shapely: serving the GeoJSON or CSV of a selection loads no geopandas.
    """
    import shapely  # here: the map pages import this module and draw without it

    chosen = select_sites(sites, selection).merge(state, how="left", left_on="id",
                                                  right_on="site_id")
    codes = chosen["commodities"].fillna("").map(split_codes)
    has_point = chosen["lat"].notna() & chosen["lon"].notna()
    points = shapely.points(chosen["lon"].fillna(0).to_numpy(float),
                            chosen["lat"].fillna(0).to_numpy(float))
    points[~has_point.to_numpy(bool)] = None
    frame = pd.DataFrame({
        "id": chosen["id"], "name": chosen["name"], "name_ja": _column(chosen, "name_ja"),
        "operator": chosen["operator"], "operator_ja": _column(chosen, "operator_ja"),
        "country": chosen["country"], "admin_area": chosen["admin_area"],
        "locality": chosen["locality"], "stage": chosen["stage"],
        "other_stages": chosen["other_stages"].fillna("").map(split_codes).map(list),
        "commodities": codes.map(list),
        "commodity_names": codes.map(lambda c: [commodity_label(x) for x in c]),
        "status": chosen["status"], "status_date": chosen["status_date"],
        "position_quality": chosen["position_quality"],
        "schedule_health": chosen["schedule_health"].fillna(ScheduleHealth.NO_SCHEDULE.value),
        "next_milestone": chosen["next_milestone"].fillna(""),
        # as precisely as the source gives it: "2026-09" for a month, never an invented day
        "next_milestone_date": shown_column(chosen, "next_milestone_date",
                                            "next_milestone_date_precision"),
        "next_milestone_date_precision": chosen["next_milestone_date_precision"].fillna("")
        .replace("", DatePrecision.DAY.value).where(chosen["next_milestone_date"].notna(), ""),
        "slip_days": pd.to_numeric(chosen["slip_days"]).round().astype("Int64"),
        "source": chosen["source"], "as_of": selection.as_of,
        "exported_at": pd.Timestamp(exported_at),
        # what sites.visibility left in the row: its marking, the attributes held back
        "marking": chosen.get("marking", PUBLIC),
        "withheld": (chosen["withheld"].map("; ".join) if "withheld" in chosen else ""),
    })
    return Features(frame.reset_index(drop=True), points)


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column of the frame, or empty text where a table predates it (a withheld value
    stays None)."""
    return frame[name] if name in frame else pd.Series("", index=frame.index, dtype=object)


def with_extent(selection: SiteSelection, bbox: BBox | None) -> SiteSelection:
    """The same selection limited to a map extent (or not, with None)."""
    return replace(selection, bbox=bbox)


def deposit_params(f: SiteFilter) -> tuple[tuple[str, str], ...]:
    """The deposit part of a site filter as query parameters of ``/api/deposits``.

    >>> deposit_params(SiteFilter(commodities=("Li", "REE"), stages=("mine",)))
    (('commodity', 'Li,REE'),)
    """
    d = deposit_filter(f)
    params = {"commodity": d.commodities, "status": d.statuses, "country": d.countries}
    return tuple((name, ",".join(values)) for name, values in params.items() if values)


def _as_of(value: str | None, today: date) -> date:
    if not value:
        return today
    try:
        as_of = date.fromisoformat(value)
    except ValueError:
        raise InputError(tr("as_of {value} is not a date: write it as YYYY-MM-DD, e.g. "
                            "{example}.").format(value=repr(value), example="2026-06-30")) from None
    if as_of > today:
        raise InputError(tr("as_of {value} is after today ({today}): the record can only be "
                            "shown as it stood on a past day or today.").format(
                                value=value, today=today.isoformat()))
    return as_of


def slug(text: str) -> str:
    """Lower-case letters, digits and dashes, for file names.

    >>> slug("Claims, Humboldt County (rev 2)")
    'claims-humboldt-county-rev-2'
    """
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
