"""Linking imported permitting projects to our sites."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from permits.site_links import (
    NAME_THRESHOLD,
    LinkRow,
    distances_km,
    link_projects,
    name_similarity,
    name_variants,
)

NAN = math.nan


def sites() -> pd.DataFrame:
    """A few sites with precise, approximate and unknown positions."""
    rows = [
        ("us-stibnite", "Stibnite Gold Project", "Idaho", 44.9099, -115.3347, "published", ""),
        ("us-ico", "Idaho Cobalt Operations (ICO)", "Idaho", 45.0, -113.9,
         "approximate (county)", "location approximate: centre of Lemhi County, Idaho "
         "(FIPS 16059; US Census 2017)"),
        ("us-thacker-pass", "Thacker Pass Lithium Mine Project", "Nevada", 41.711978,
         -118.074988, "published", ""),
        ("us-pebble", "Pebble Project", "Alaska", NAN, NAN, "unknown", "no coordinates"),
        ("us-km-a", "Kings Mountain Mine", "North Carolina", 35.20, -81.35, "surveyed", ""),
        ("us-km-b", "Kings Mountain Project", "North Carolina", 35.25, -81.30, "published", ""),
    ]
    return pd.DataFrame(rows, columns=["id", "name", "admin_area", "lat", "lon",
                                       "position_quality", "location_note"])


def project(title: str, lat: float = NAN, lon: float = NAN, state: str = "",
            site_id: str = "", project_id: str = "fpd-1") -> dict[str, object]:
    return {"project_id": project_id, "title": title, "site_id": site_id, "state": state,
            "lat": lat, "lon": lon}


def link_one(row: dict[str, object], **options: object) -> LinkRow:
    report = link_projects(pd.DataFrame([row]), sites(), **options)  # type: ignore[arg-type]
    assert len(report.rows) == 1
    return report.rows[0]


def test_known_link_and_own_site_id_come_first() -> None:
    far_away = project("Something Else Entirely", 10.0, 10.0)
    row = link_one(far_away, known_links={"fpd-1": "us-pebble"})
    assert (row.site_id, row.method, row.detail) == ("us-pebble", "id", "linked before")
    row = link_one(far_away | {"site_id": "us-stibnite"})
    assert (row.site_id, row.method) == ("us-stibnite", "id")
    assert row.detail == "the project names this site"


def test_a_link_to_a_site_that_is_gone_falls_back_to_names() -> None:
    row = link_one(project("Stibnite Gold Project", 44.92, -115.34),
                   known_links={"fpd-1": "us-deleted"})
    assert (row.site_id, row.method) == ("us-stibnite", "name and distance")


def test_name_and_distance() -> None:
    report = link_projects(pd.DataFrame([project("Stibnite Gold Project", 44.92, -115.34),
                                         project("Thacker Pass Project", 41.70, -118.06,
                                                 project_id="fpd-2")]), sites())
    assert report.site_ids == {"fpd-1": "us-stibnite", "fpd-2": "us-thacker-pass"}
    stibnite, thacker = report.rows
    km = distances_km(44.92, -115.34, np.array([44.9099]), np.array([-115.3347]))[0]
    assert stibnite == LinkRow("fpd-1", "Stibnite Gold Project", "us-stibnite",
                               "name and distance", f"name 1.00 similar, {km:.1f} km apart")
    assert thacker.method == "name and distance"
    assert thacker.detail.startswith("name 1.00 similar, 1.")


def test_too_far() -> None:
    row = link_one(project("Stibnite Gold Project", 43.0, -115.3347))
    km = distances_km(43.0, -115.3347, np.array([44.9099]), np.array([-115.3347]))[0]
    assert round(km) == 212
    assert (row.site_id, row.method) == ("", "")
    assert row.detail == "similar name 'Stibnite Gold Project' but 212 km away (limit 50 km)"
    assert link_one(project("Stibnite Gold Project", 43.0, -115.3347), max_km=250).site_id == (
        "us-stibnite")


def test_approximate_site_refused_then_accepted() -> None:
    near = project("Idaho Cobalt Operations", 45.1, -113.95)
    row = link_one(near)
    assert row.site_id == ""
    assert row.detail == ("similar name 'Idaho Cobalt Operations (ICO)' but its position is "
                          "approximate (centre of Lemhi County, Idaho); accept approximate "
                          "matches to link it")
    row = link_one(near, accept_approximate=True)
    assert (row.site_id, row.method) == ("us-ico", "name and distance")
    assert row.detail.endswith("km apart; site position approximate (centre of Lemhi County, "
                               "Idaho)")


def test_site_without_position_refused_then_linked_by_state() -> None:
    pebble = project("Pebble Project", 59.9, -155.3, state="Alaska")
    assert link_one(pebble).detail == ("similar name 'Pebble Project' but its position is "
                                       "unknown; accept approximate matches to link it")
    row = link_one(pebble, accept_approximate=True)
    assert (row.site_id, row.method) == ("us-pebble", "name and state")
    assert row.detail == "name 1.00 similar, both in Alaska; site position unknown"


def test_two_sites_match_equally() -> None:
    row = link_one(project("Kings Mountain Lithium Mine", 35.22, -81.32))
    assert (row.site_id, row.method) == ("", "")
    assert row.detail == "two sites match equally: us-km-a, us-km-b"


def test_no_coordinates_same_state() -> None:
    row = link_one(project("Thacker Pass Lithium Project", state="Nevada"))
    assert (row.site_id, row.method) == ("us-thacker-pass", "name and state")
    assert row.detail == "name 1.00 similar, both in Nevada"
    row = link_one(project("Thacker Pass Lithium Project", state="Nevada; Oregon"))
    assert row.site_id == "us-thacker-pass"


def test_no_coordinates_other_state() -> None:
    row = link_one(project("Thacker Pass Lithium Project", state="Oregon"))
    assert row.site_id == ""
    assert row.detail == ("similar name 'Thacker Pass Lithium Mine Project' but the site is in "
                          "Nevada and the project in Oregon")


def test_no_similar_name() -> None:
    row = link_one(project("Hell's Kitchen Geothermal", 33.2, -115.6, state="California"))
    assert (row.site_id, row.method, row.detail) == ("", "", "no site with a similar name")


def test_report_covers_every_project_in_order() -> None:
    frame = pd.DataFrame([project("Pebble Project", project_id="fpd-9"),
                          project("Stibnite Gold", 44.91, -115.33, project_id="fpd-3")])
    report = link_projects(frame, sites())
    assert [r.project_id for r in report.rows] == ["fpd-9", "fpd-3"]
    assert report.site_ids == {"fpd-3": "us-stibnite"}
    assert report.rows[0].detail == ("similar name 'Pebble Project' but the site is in Alaska "
                                     "and the project in no state given")


@pytest.mark.parametrize(("a", "b", "similar"), [
    ("Thacker Pass Project", "Thacker Pass Lithium Mine Project", True),
    ("South32 Hermosa Critical Minerals Project", "Hermosa Project (Taylor and Clark deposits)",
     True),
    ("McDermitt Exploration Project", "McDermitt Lithium Project (McDermitt Exploration Project)",
     True),
    ("Bokan Dotson Ridge", "Bokan–Dotson Ridge REE project", True),
    ("Idaho Power Line", "Idaho Cobalt Operations (ICO)", False),
    ("Stillwater Mine", "Eagle Mine", False),
    ("Libby Exploration Project", "Lisbon Valley Copper", False),
])
def test_name_similarity_threshold(a: str, b: str, similar: bool) -> None:
    best = max(name_similarity(x, y) for x in name_variants(a) for y in name_variants(b))
    assert (best >= NAME_THRESHOLD) is similar
