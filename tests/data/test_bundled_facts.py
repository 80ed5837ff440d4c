"""The bundled facts in ``data/`` read the way someone who knows these projects reads them.

Each test is one class of mistake that once shipped: a status taken from a keyword instead of
the note's meaning ("development" read as permitting after a signed Record of Decision), a
point placed far from the site (a county centre 140 km off), table tags stored as products
(potassium for Thacker Pass, copper read from the damaged MRDS text "pper"), a deposit left as
a prospect under a mine being built, a district centre called published, a month stored as
a day, a malformed source address.
"""

from __future__ import annotations

import math
import re
from datetime import date
from urllib.parse import urlsplit

import pandas as pd
import pytest
from pyproj import Geod

from domain.settings import DATA_DIR
from domain.vocab import (
    COMMODITY_NAMES,
    DevStatus,
    PositionQuality,
    named_commodities,
    split_codes,
)
from permits.dates import PRECISION_OF, misplaced
from permits.schema import MILESTONE_COLUMNS, conform
from store.models import Deposit, Site

SITES = pd.read_csv(DATA_DIR / "sites.csv", dtype=str, keep_default_na=False)
DEPOSITS = pd.read_csv(DATA_DIR / "deposits.csv", dtype=str, keep_default_na=False)
PLACES = pd.read_csv(DATA_DIR / "placement_checks.csv", dtype=str, keep_default_na=False)
MILESTONES = pd.read_csv(DATA_DIR / "permits" / "milestones.csv", dtype=str,
                         keep_default_na=False)
PERMIT_FILES = ["projects.csv", "actions.csv", "milestones.csv", "changes.csv"]
GEOD = Geod(ellps="WGS84")
TOWN_RULE_KM = 15.0  # a site "in or within about 10 miles (15 km)" of a town is put at the town
FARTHEST_KM = 50.0  # any point farther from the real site is worse than none
MILE_KM = 1.609344

# --- statuses by meaning ------------------------------------------------------------------

NOT_YET_PERMITTED = {DevStatus.OCCURRENCE, DevStatus.PROSPECT, DevStatus.EXPLORATION,
                     DevStatus.FEASIBILITY, DevStatus.PERMITTING}
# (what the note says, the statuses it allows, why)
STATUS_RULES = [
    (r"(record of decision|\bROD\b)[^;]*\b(signed|announced|issued|upheld)\b"
     r"|fully permitted|construction-ready",
     set(DevStatus) - NOT_YET_PERMITTED,
     "a signed Record of Decision or a full set of permits means permitting is complete"),
    (r"\b(suspended|halted|stalled|blocked|standby|paused)\b|unlikely to proceed",
     {DevStatus.ON_HOLD, DevStatus.CARE_AND_MAINTENANCE},
     "work stopped by its sponsor or blocked is on hold (or, at a mine, care and maintenance)"),
    (r"\b(final investment decision|construction authori[sz]ed|construction stage)\b",
     {DevStatus.CONSTRUCTION, DevStatus.PRODUCER},
     "an investment decision or an authorised start of construction means construction"),
    (r"^(fully )?permitted\b|\bpermitting complete\b",
     {DevStatus.PERMITTED, DevStatus.CONSTRUCTION}, "permits in hand"),
    (r"\b(plant|mine|facility) closed\b",
     {DevStatus.PAST_PRODUCER, DevStatus.CARE_AND_MAINTENANCE, DevStatus.CANCELLED},
     "a closed plant or mine no longer produces"),
]
EXEMPTING = r"\b(vacated|revoked|rescinded|remanded|denied)\b"  # a decision later undone


def _status_problems(frame: pd.DataFrame, status: str, note: str, key: str) -> list[str]:
    problems = []
    for row in frame.to_dict("records"):
        text = row[note]
        for pattern, allowed, why in STATUS_RULES:
            said = re.search(pattern, text, re.IGNORECASE) and not re.search(EXEMPTING, text)
            if said and DevStatus(row[status]) not in allowed:
                problems.append(f"{row[key]}: {row[status]!r} but the note says "
                                    f"{text!r} ({why})")
    return problems


def test_every_status_agrees_with_its_note() -> None:
    assert _status_problems(SITES, "status", "status_original", "id") == []
    assert _status_problems(DEPOSITS, "dev_status", "dev_status_original",
                            "source_record_id") == []


def test_the_rules_catch_the_statuses_that_once_shipped() -> None:
    """The checks above can fail: the old records of Rhyolite Ridge, Elk Creek, Hermosa and
    Bear Lodge, and a paused plant, an abandoned plan and a closed plant left as they were,
    are each refused."""
    old = pd.DataFrame([
        ("us-rhyolite-ridge", "permitting",
         "development/permitting (BLM record of decision announced 2024-10-24)"),
        ("us-elk-creek", "permitting", "development/permitting — fully permitted, awaiting "
                                       "financing"),
        ("us-hermosa", "permitting", "development (final investment decision 2024-02-14; "
                                     "zinc ore targeted 2027)"),
        ("us-bear-lodge", "permitting", "development/permitting suspended (permitting halted "
                                        "January 2016 after the USFS draft EIS)"),
        ("us-ascend-apex-1", "construction", "under construction; construction paused (2025)"),
        ("us-lynas-seadrift", "feasibility", "planned; the chairman said it was \"unlikely to "
                                             "proceed\" (November 2025)"),
        ("us-hitachi-metals-china-grove", "unknown", "the plant closed 2022-09-30"),
    ], columns=["id", "status", "status_original"])
    found = _status_problems(old, "status", "status_original", "id")
    assert [p.split(":")[0] for p in found] == list(old["id"])


def test_a_cancelled_project_was_cancelled_by_its_sponsor() -> None:
    """Leases cancelled by a government do not end a project its sponsor still pursues."""
    cancelled = SITES[SITES["status"] == DevStatus.CANCELLED.value]
    for row in cancelled.to_dict("records"):
        assert re.search(r"\b(sponsor|company|operator|owner)\b[^;]*\b(cancel|abandon|withdr)",
                         row["status_original"], re.IGNORECASE), row["id"]


def test_every_status_has_a_dated_source_or_says_it_has_none() -> None:
    """The date of the source that gives the status, as precise as it is (YYYY, YYYY-MM or
    YYYY-MM-DD), so staff can see how old a status is."""
    for row in SITES.to_dict("records"):
        when = row["status_date"]
        if when:
            assert re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", when), row["id"]
            parts = [int(p) for p in when.split("-")] + [1] * (3 - len(when.split("-")))
            assert date(*parts) <= date.today(), row["id"]


# --- deposits under sites -------------------------------------------------------------------


def test_a_deposit_under_a_built_or_permitted_site_is_not_a_prospect() -> None:
    """A deposit at the very point of a site (the site's published point is the deposit's)
    cannot be a prospect while that site is permitted, being built or producing."""
    advanced = {DevStatus.PERMITTED, DevStatus.CONSTRUCTION, DevStatus.PRODUCER}
    sites = SITES[SITES["status"].isin(advanced) & (SITES["lat"] != "")]
    at = {(s["lat"], s["lon"]): s["id"] for s in sites.to_dict("records")}
    under = DEPOSITS[[(r["lat"], r["lon"]) in at for r in DEPOSITS.to_dict("records")]]
    assert len(under) >= 3  # Thacker Pass, Rhyolite Ridge, Silver Peak at least
    early = under[under["dev_status"].isin([DevStatus.PROSPECT, DevStatus.OCCURRENCE])]
    assert early["source_record_id"].tolist() == []


def test_a_district_centre_is_not_a_published_position() -> None:
    districts = DEPOSITS[DEPOSITS["dev_status_original"].str.contains(
        r"Mineral Region|Mining District|Mineral District", case=False)]
    assert len(districts) >= 2
    assert set(districts["position_quality"]) == {PositionQuality.APPROXIMATE_AREA.value}


# --- commodities are products ----------------------------------------------------------------

_EXTRA_WORDS = {"ndpr": {"Nd", "Pr"}, "ndfeb": {"Nd", "REE"}, "re ": {"REE"},
                "re carbonate": {"REE"}, "phosphoric": {"P"}, "li-ion": {"Li"},
                "lib": {"Li"}, "pgm": {"PGE"}, "heavy rare earth": {"REE"}}


_RARE_EARTHS = {"La", "Ce", "Pr", "Nd", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb",
                "Lu", "Y", "Sc"}


def _named(text: str) -> set[str]:
    """The commodity codes a text names whole, with the product words of plants (NdPr,
    NdFeB, Li-ion cells) that name their elements."""
    lower = f" {text.lower()} "
    found = named_commodities(text) | {c for word, codes in _EXTRA_WORDS.items()
                                       if word in lower for c in codes}
    # a named rare-earth element (neodymium magnets) names the rare-earth group too
    return found | ({"REE"} if found & _RARE_EARTHS else set())


def _products(text: str) -> str:
    """The product words of a ``commodities_original``: without the tables' own tags and
    without the clauses marked as not a product."""
    kept = re.split(r"USGS table tags", text)[0]
    return ";".join(part for part in kept.split(";") if "not a product" not in part)


def test_site_commodities_are_what_the_site_produces_or_holds() -> None:
    for row in SITES.to_dict("records"):
        codes = set(split_codes(row["commodities"]))
        assert codes <= set(COMMODITY_NAMES), row["id"]
        extra = codes - _named(_products(row["commodities_original"]))
        assert not extra, f"{row['id']}: {sorted(extra)} not named as a product in " \
                          f"{row['commodities_original']!r}"


def test_deposit_commodities_are_named_whole_in_their_source_text() -> None:
    """A damaged table fragment ("pper") is never taken as a commodity."""
    for row in DEPOSITS.to_dict("records"):
        codes = set(split_codes(row["commodities"]))
        extra = codes - _named(_products(row["commodities_original"]))
        assert not extra, f"{row['source_record_id']}: {sorted(extra)}"


def test_the_product_rule_refuses_table_tags_and_fragments() -> None:
    thacker = "lithium (lithium carbonate planned); USGS table tags for the site: lithium; " \
              "potassium; sodium; fluorine"
    assert _named(_products(thacker)) == {"Li"}
    assert "Cu" not in _named(",,pper, (damaged MRDS text; the fragment is not a commodity)")
    assert "Th" not in _named(_products("rare earths; thorium is associated (not a product)"))


# --- positions ---------------------------------------------------------------------------------


def _km(text: str) -> float | None:
    """The largest distance a note states, in km ("6 to 8 miles" -> 12.9)."""
    found = [float(n) * (MILE_KM if unit.startswith("mi") else 1.0)
             for n, unit in re.findall(r"(\d+(?:\.\d+)?)\s*(km|miles?|mi\b|air miles)", text)]
    found += [float(b) * (MILE_KM if unit.startswith("mi") else 1.0)
              for _a, b, unit in re.findall(r"(\d+)\s*(?:to|–|-)\s*(\d+)\s*(km|miles?)", text)]
    return max(found) if found else None


def test_a_town_placement_is_within_the_town_rule() -> None:
    """A site put at a town's point lies in the town or within 15 km of it, by its note."""
    towns = SITES[SITES["position_quality"] == PositionQuality.APPROXIMATE_TOWN.value]
    assert len(towns) >= 30
    for row in towns.to_dict("records"):
        km = _km(row["location_note"])
        assert km is None or km <= TOWN_RULE_KM, f"{row['id']}: {km:.0f} km from its town"


_BEARINGS = {"N": 0, "NE": 45, "E": 90, "SE": 135, "S": 180, "SW": 225, "W": 270, "NW": 315,
             "NNW": 337.5, "WNW": 292.5, "ENE": 67.5, "NNE": 22.5, "SSW": 202.5, "SSE": 157.5,
             "ESE": 112.5, "WSW": 247.5}


def _error_km(row: dict[str, str], point: tuple[float, float]) -> float:
    """How far the stored point can be from the site, by what the sources state: the site
    lies ``distance_km`` from the named place in the given direction (or, with no direction,
    anywhere at that distance: the bound is then the triangle inequality)."""
    place = (float(row["place_lat"]), float(row["place_lon"]))
    distance = float(row["distance_km"] or 0)
    if row["bearing"]:
        lon, lat, _ = GEOD.fwd(place[1], place[0], _BEARINGS[row["bearing"]], distance * 1000)
        return GEOD.inv(point[1], point[0], lon, lat)[2] / 1000
    return GEOD.inv(point[1], point[0], place[1], place[0])[2] / 1000 + distance


def test_every_county_or_area_placement_is_checked_and_near_enough() -> None:
    """A county or area point is no farther than 50 km from the site by the sources' own
    distances (data/placement_checks.csv names the place, its gazetteer point and the stated
    distance and direction)."""
    checks = PLACES.set_index("site_id")
    broad = SITES[SITES["position_quality"].isin([PositionQuality.APPROXIMATE_COUNTY.value,
                                                  PositionQuality.APPROXIMATE_AREA.value])]
    assert set(broad["id"]) <= set(checks.index), "every county/area point needs a check"
    for row in broad.to_dict("records"):
        check = checks.loc[row["id"]].to_dict()
        if not check["distance_km"]:
            # an area point named by the sources themselves ("on Bokan Mountain", "at
            # AllianceTexas"): allowed only as an area, saying the site's own point is unknown
            assert row["position_quality"] == PositionQuality.APPROXIMATE_AREA.value, row["id"]
            assert re.match(r"(on|at|near)\b", check["words"]), row["id"]
            assert "not published" in row["location_note"], row["id"]
            assert _error_km(check, (float(row["lat"]), float(row["lon"]))) < 1, row["id"]
            continue
        error = _error_km(check, (float(row["lat"]), float(row["lon"])))
        assert error <= FARTHEST_KM, f"{row['id']}: up to {error:.0f} km from the site"


def test_the_placement_check_would_refuse_the_old_points() -> None:
    """McDermitt at the centre of Malheur County (43.1862, -117.6236) was about 140 km off."""
    mcdermitt = PLACES.set_index("site_id").loc["us-mcdermitt"].to_dict()
    assert _error_km(mcdermitt, (43.1862, -117.6236)) > 100
    assert _km("the project is at Toongi, about 25 km south") == 25.0


def test_placement_checks_name_a_sourced_place() -> None:
    for row in PLACES.to_dict("records"):
        assert row["place_source"] and row["words"] and "http" in row["source"], row["site_id"]
        assert -90 <= float(row["place_lat"]) <= 90 and -180 <= float(row["place_lon"]) <= 180
        assert not row["bearing"] or row["bearing"] in _BEARINGS


def test_positions_keep_their_stated_precision() -> None:
    """No coordinate is padded or rounded into a precision it does not have: the note names
    the source of every stored point, and an unknown position has no coordinates."""
    for frame, key, note in ((SITES, "id", "location_note"),
                             (DEPOSITS, "source_record_id", "position_note")):
        for row in frame.to_dict("records"):
            unknown = row["position_quality"] == PositionQuality.UNKNOWN.value
            assert (row["lat"] == "") == unknown and (row["lon"] == "") == unknown, row[key]
            assert row[note], row[key]
            if not unknown:
                assert not math.isnan(float(row["lat"])) and not math.isnan(float(row["lon"]))


# --- sources and dates -------------------------------------------------------------------------

URL = re.compile(r"https?://\S+")


def _source_cells() -> list[tuple[str, str]]:
    cells = [(f"sites.csv {r['id']}", r["source"]) for r in SITES.to_dict("records")]
    cells += [(f"deposits.csv {r['source_record_id']}", r["source"])
              for r in DEPOSITS.to_dict("records")]
    cells += [(f"placement_checks.csv {r['site_id']}", r["source"])
              for r in PLACES.to_dict("records")]
    for name in PERMIT_FILES:
        frame = pd.read_csv(DATA_DIR / "permits" / name, dtype=str, keep_default_na=False)
        cells += [(f"{name} row {i + 2}", text) for i, text in enumerate(frame["source"])]
    return cells


def test_every_record_cites_a_source() -> None:
    for where, text in _source_cells():
        assert URL.search(text), f"{where} has no source address"


@pytest.mark.parametrize(("where", "text"), _source_cells(), ids=lambda v: str(v)[:40])
def test_every_source_address_is_well_formed(where: str, text: str) -> None:
    for url in URL.findall(text):
        url = url.rstrip(").,;")
        parts = urlsplit(url)
        assert parts.scheme in ("http", "https"), (where, url)
        assert re.fullmatch(r"[A-Za-z0-9.-]+\.[A-Za-z]{2,}(:\d+)?", parts.netloc), (where, url)
        assert not re.search(r"[\s<>\"{}|\\^`]", url), (where, url)
        assert not url.endswith("+"), (where, url)  # a stray "+" once ended a USFS address


def test_every_permitting_date_has_its_precision() -> None:
    frame = conform(MILESTONES, MILESTONE_COLUMNS)
    assert misplaced(frame) == []
    for column, precision in PRECISION_OF.items():
        dated = frame[frame[column].notna()]
        missing = dated[dated[precision] == ""]["milestone_id"].tolist()
        assert missing == [], f"{column} without a precision: {missing}"
    # a source that says "month only" stores a month, never a day
    monthly = frame[frame["source"].str.contains("month only", case=False)]
    assert len(monthly) >= 10
    for row in monthly.to_dict("records"):
        said = [p for c, p in PRECISION_OF.items() if pd.notna(row[c]) and row[p] == "month"]
        assert said, row["milestone_id"]


@pytest.mark.parametrize(("frame", "model"), [(SITES, Site), (DEPOSITS, Deposit)],
                         ids=["sites", "deposits"])
def test_every_value_fits_its_store_column(frame: pd.DataFrame, model: type) -> None:
    """SQLite stores a string of any length; PostgreSQL refuses one longer than its column."""
    for column in model.__table__.columns:
        limit = getattr(column.type, "length", None)
        if limit and column.name in frame.columns:
            longest = frame[column.name].str.len().max()
            assert longest <= limit, f"{column.name}: {longest} characters, the store holds {limit}"
