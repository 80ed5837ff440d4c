"""The cross-walk: candidates found by record id and by name and distance, kept in the store
with the decisions people made, which survive a refresh and a re-import."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from commands.main import main
from domain.access import OPEN_ACCESS, AccessDenied, Principal, Role
from domain.crosswalk import NAME_DISTANCE, SAME_ID, Link
from domain.errors import InputError, NotFoundError
from services.crosswalk import refresh_crosswalk
from sites.crosswalk import deposit_links, site_deposit_links
from store.audit import audit_rows
from store.crosswalk_repo import (
    CONFIRMED,
    REJECTED,
    decide,
    link_by_hand,
    stored_links,
    use_position,
)
from store.records import import_deposits, load_sites, remove_dataset
from store.startup import ensure_store
from tests.support.fixtures_data import deposit_row
from tests.support.sample_store import sample_engine, use_sample_store

REALDATA = Path(__file__).resolve().parents[3] / "shared" / "realdata"
MRDS = REALDATA / "deposits" / "minmod_mrds_sites_8079.csv"


def _deposits(*rows: tuple[str, str, str, str, float, float]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["dataset", "source_record_id", "name", "other_names",
                                       "lat", "lon"])


CURATED = _deposits(("permitmap-curated", "10001", "Yellow Pine", "Meadow Creek", 44.96, -115.49),
                    ("permitmap-curated", "Mo00574", "Kings Valley", "", 41.71, -118.07))


def test_an_imported_record_with_the_curated_ones_id_is_the_same_place() -> None:
    imported = _deposits(("usgs-mrds", "10001", "Yellow Pine Mine", "", 44.97, -115.50),
                         ("usgs-mrds", "99999", "Somewhere Else", "", 10.0, 10.0))
    links = deposit_links(CURATED, imported)
    assert [(x.a_key, x.b_key, x.method, x.score) for x in links] == [
        ("permitmap-curated/10001", "usgs-mrds/10001", SAME_ID, 1.0)]


def test_alike_names_close_by_are_candidates_and_far_or_unlike_ones_are_not() -> None:
    imported = _deposits(
        ("usgs-mrds", "20001", "Meadow Creek", "", 44.965, -115.49),  # another name, 0.6 km
        ("usgs-mrds", "20002", "Yellow Pine", "", 45.5, -115.49),  # 60 km away
        ("usgs-mrds", "20003", "Cinnabar Hill", "", 44.961, -115.49),  # close, unlike
        ("usgs-mrds", "20004", "Kings Valley Prospect", "", 41.74, -118.07))  # 3.3 km
    links = {x.b_key: x for x in deposit_links(CURATED, imported, max_km=5.0)}
    assert set(links) == {"usgs-mrds/20001", "usgs-mrds/20004"}
    assert links["usgs-mrds/20001"].method == NAME_DISTANCE
    near, far = links["usgs-mrds/20001"], links["usgs-mrds/20004"]
    assert near.distance_km is not None and far.distance_km is not None
    assert near.distance_km < 1.0 < far.distance_km < 5.0
    assert near.score > far.score  # farther apart, weaker


def test_a_site_matches_the_record_its_notes_name_and_alike_names_close_by() -> None:
    sites = pd.DataFrame([
        {"id": "us-thacker", "name": "Thacker Pass", "lat": 41.71, "lon": -118.07,
         "location_note": "USGS lithium table Ftr_ID Mo00574", "source": ""},
        {"id": "us-yp", "name": "Yellow Pine Project", "lat": 44.96, "lon": -115.5,
         "location_note": "", "source": ""},
        {"id": "us-nowhere", "name": "Kings Valley", "lat": None, "lon": None,
         "location_note": "", "source": "https://example.org/10001"},
    ])
    links = {(x.a_key, x.b_key): x for x in site_deposit_links(sites, CURATED)}
    assert links[("us-thacker", "permitmap-curated/Mo00574")].method == SAME_ID
    assert links[("us-yp", "permitmap-curated/10001")].method == NAME_DISTANCE
    # without a position: by the record id in its source only, never by name
    assert links[("us-nowhere", "permitmap-curated/10001")].method == SAME_ID
    assert ("us-nowhere", "permitmap-curated/Mo00574") not in links


@pytest.fixture()
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    use_sample_store(tmp_path, monkeypatch, "crosswalk.db")
    return sample_engine(tmp_path, "crosswalk.db")


def _imported(*rows: tuple[str, str, float, float]) -> pd.DataFrame:
    return pd.DataFrame([deposit_row(r, n, dataset="testdata", lat=lat, lon=lon,
                                     source="test table") for r, n, lat, lon in rows])


def _load(engine, table: pd.DataFrame) -> None:  # type: ignore[no-untyped-def]
    import_deposits(engine, table, dataset="testdata", principal=OPEN_ACCESS,
                    file_name="test.csv", checksum="0" * 64, rows_read=len(table), report={})


def _link_of(engine, b_key: str) -> pd.Series:  # type: ignore[no-untyped-def]
    links = stored_links(engine)
    return links[links["b_key"] == b_key].iloc[0]


def test_decisions_survive_a_refresh_and_a_reimport(engine) -> None:  # type: ignore[no-untyped-def]
    # the sample's curated deposits: "Deposit One" (D1) at 39.0, -116.0
    table = _imported(("D1", "Deposit One", 39.0, -116.0),
                      ("X2", "Deposit One", 39.01, -116.0))  # the same, recorded again
    _load(engine, table)
    summary = refresh_crosswalk(engine, principal=OPEN_ACCESS)
    deposit_links = stored_links(engine)
    deposit_links = deposit_links[deposit_links["b_kind"] == "deposit"]
    assert len(deposit_links) >= 2 and (deposit_links["status"] == "candidate").all()
    assert summary.new == len(stored_links(engine))
    same, alike = _link_of(engine, "testdata/D1"), _link_of(engine, "testdata/X2")
    assert same["method"] == SAME_ID and alike["method"] == NAME_DISTANCE
    editor = Principal("edna", Role.EDITOR)
    decide(engine, int(same["id"]), CONFIRMED, principal=editor)
    decide(engine, int(alike["id"]), REJECTED, principal=editor)
    # the table imported again from scratch: new rows, the same records
    remove_dataset(engine, "testdata", principal=OPEN_ACCESS)
    _load(engine, table)
    again = refresh_crosswalk(engine, principal=OPEN_ACCESS)
    assert again.new == 0
    assert _link_of(engine, "testdata/D1")["status"] == CONFIRMED
    assert _link_of(engine, "testdata/D1")["decided_by"] == "edna"
    assert _link_of(engine, "testdata/X2")["status"] == REJECTED  # not reopened
    # a candidate whose evidence is gone is dropped; a decided link is kept
    remove_dataset(engine, "testdata", principal=OPEN_ACCESS)
    refresh_crosswalk(engine, principal=OPEN_ACCESS)
    assert set(stored_links(engine)["b_key"]) >= {"testdata/D1", "testdata/X2"}
    actions = audit_rows(engine, action="crosswalk")["detail"].tolist()
    assert any(": confirmed" in a for a in actions) and any(": rejected" in a for a in actions)


def test_deciding_needs_an_editor_and_says_what_is_wrong(engine) -> None:  # type: ignore[no-untyped-def]
    link_id = link_by_hand(engine, Link("site", "us-alpha", "deposit", "permitmap-curated/D1",
                                        "by hand", 1.0, None, "the site works this deposit"),
                           principal=Principal("edna", Role.EDITOR))
    assert _link_of(engine, "permitmap-curated/D1")["status"] == CONFIRMED
    with pytest.raises(AccessDenied):
        decide(engine, link_id, REJECTED, principal=Principal("vera", Role.VIEWER))
    with pytest.raises(InputError, match="not a decision"):
        decide(engine, link_id, "maybe", principal=Principal("edna", Role.EDITOR))
    with pytest.raises(NotFoundError, match="No cross-walk link"):
        decide(engine, 999_999, REJECTED, principal=Principal("edna", Role.EDITOR))
    refresh_crosswalk(engine, principal=OPEN_ACCESS)  # a refresh keeps a link made by hand
    assert _link_of(engine, "permitmap-curated/D1")["method"] == "by hand"


def test_the_command_line_prints_counts_with_links(engine, capsys: pytest.CaptureFixture[str]  # type: ignore[no-untyped-def]
                                                   ) -> None:
    assert main(["crosswalk", "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)
    assert counts["links"] == len(stored_links(engine))
    assert set(counts["by_status"]) == {"candidate", "confirmed", "rejected"}
    assert main(["crosswalk"]) == 0
    assert "links found" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["crosswalk", "--deposit-km", "-3"])
    assert "give a distance above 0" in capsys.readouterr().err


@pytest.mark.skipif(not MRDS.is_file(), reason="the real-data tier needs ../shared/realdata")
def test_mrds_over_the_bundled_deposits_links_each_record_both_hold(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from domain.settings import DATA_DIR

    monkeypatch.setenv("PERMITMAP_DB_PATH", str(tmp_path / "real.db"))
    monkeypatch.setenv("PERMITMAP_DATA_DIR", str(DATA_DIR))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert main(["deposits", "import", str(MRDS)]) == 0
    assert main(["crosswalk"]) == 0
    engine = ensure_store(f"sqlite:///{tmp_path / 'real.db'}", DATA_DIR)
    curated = pd.read_csv(DATA_DIR / "deposits.csv", dtype=str)
    mrds_ids = set(pd.read_csv(MRDS, dtype=str)["record_id"])
    both = sorted(set(curated["source_record_id"]) & mrds_ids)
    assert both, "the bundled deposits cite MRDS records"
    links = stored_links(engine)
    same = links[links["method"] == SAME_ID]
    for record in both:
        assert ((same["a_key"] == f"permitmap-curated/{record}")
                & (same["b_key"] == f"usgs-mrds/{record}")).sum() == 1, record


def test_an_approximate_site_takes_its_confirmed_deposits_published_position(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.support.fixtures_data import SAMPLE_SITES, site_row

    # a site placed at its town; Deposit Two (published, 35.5, -115.5) is confirmed as its
    town = site_row("us-town", "Deposit Two Works", position_quality="approximate (town)",
                    lat=35.6, lon=-115.4, location_note="town centre")
    use_sample_store(tmp_path, monkeypatch, "position.db", sites=[*SAMPLE_SITES, town])
    engine = sample_engine(tmp_path, "position.db")
    editor = Principal("edna", Role.EDITOR)
    link_id = link_by_hand(engine, Link("site", "us-town", "deposit", "permitmap-curated/D2",
                                        "by hand", 1.0, None, "the works sit on it"),
                           principal=editor)
    use_position(engine, link_id, True, principal=editor)
    site = load_sites(engine).set_index("id").loc["us-town"]
    assert (site["lat"], site["lon"], site["position_quality"]) == (35.5, -115.5, "published")
    assert "Deposit Two" in site["location_note"] and "town centre" in site["location_note"]
    use_position(engine, link_id, False, principal=editor)  # given back
    site = load_sites(engine).set_index("id").loc["us-town"]
    assert (site["lat"], site["position_quality"]) == (35.6, "approximate (town)")
    # refused in words: a published site keeps its own; a candidate link gives nothing
    alpha = link_by_hand(engine, Link("site", "us-alpha", "deposit", "permitmap-curated/D2",
                                      "by hand", 1.0, None, ""), principal=editor)
    with pytest.raises(InputError, match="already has a published position"):
        use_position(engine, alpha, True, principal=editor)
    decide(engine, link_id, "candidate", principal=editor)
    with pytest.raises(InputError, match="confirm the link first"):
        use_position(engine, link_id, True, principal=editor)
    with pytest.raises(AccessDenied):
        use_position(engine, link_id, True, principal=Principal("vera", Role.VIEWER))


def test_a_marked_deposit_gives_no_position(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    from tests.support.fixtures_data import SAMPLE_SITES, site_row

    town = site_row("us-town", "Works", position_quality="approximate (town)", lat=35.6,
                    lon=-115.4)
    use_sample_store(tmp_path, monkeypatch, "marked.db", sites=[*SAMPLE_SITES, town])
    engine = sample_engine(tmp_path, "marked.db")
    editor = Principal("edna", Role.EDITOR)
    link_id = link_by_hand(engine, Link("site", "us-town", "deposit", "permitmap-curated/D2",
                                        "by hand", 1.0, None, ""), principal=editor)
    deposit_id = int(stored_deposit_id(engine, "D2"))
    assert main(["mark", "deposit", str(deposit_id), "controlled"]) == 0
    with pytest.raises(InputError, match="is marked"):
        use_position(engine, link_id, True, principal=editor)


def stored_deposit_id(engine, record: str) -> int:  # type: ignore[no-untyped-def]
    from store.records import deposit_names

    names = deposit_names(engine)
    return int(names.loc[names["source_record_id"] == record, "id"].iloc[0])


def test_an_imported_record_of_a_curated_place_is_not_drawn_twice(engine) -> None:  # type: ignore[no-untyped-def]
    from domain.bbox import BBox
    from domain.deposit_view import PointFilter
    from sites.point_index import PointIndex
    from store.crosswalk_repo import same_place_records
    from store.records import deposit_points

    def drawn() -> set[str]:
        index = PointIndex.from_frame(deposit_points(engine))
        answer = index.query(BBox(-180, -90, 180, 90), 12, PointFilter())
        return {f["properties"]["name"] for f in answer["features"]}

    table = _imported(("D1", "Deposit One (MRDS)", 39.0, -116.0),
                      ("X2", "Deposit One", 39.01, -116.0))
    _load(engine, table)
    assert {"Deposit One (MRDS)", "Deposit One"} <= drawn()
    refresh_crosswalk(engine, principal=OPEN_ACCESS)
    # the same record id: drawn once, as the curated record, which names the other
    names = drawn()
    assert "Deposit One (MRDS)" not in names and "Deposit One" in names
    others = same_place_records(engine, "permitmap-curated/D1")
    assert others["source_record_id"].tolist() == ["D1"]
    assert others["dataset"].tolist() == ["testdata"]
    # the alike name close by is only a candidate: drawn until someone confirms it
    alike = _link_of(engine, "testdata/X2")
    assert len(deposit_points(engine)) == 3  # curated D1, D2 and X2 (not the MRDS D1)
    decide(engine, int(alike["id"]), CONFIRMED, principal=Principal("edna", Role.EDITOR))
    assert len(deposit_points(engine)) == 2  # D1 and D2: X2 is now D1 too
    # imported again: still one place, without a new refresh
    remove_dataset(engine, "testdata", principal=OPEN_ACCESS)
    _load(engine, table)
    assert len(deposit_points(engine)) == 2
    # rejected: two places again
    decide(engine, int(_link_of(engine, "testdata/D1")["id"]), REJECTED,
           principal=Principal("edna", Role.EDITOR))
    assert "Deposit One (MRDS)" in drawn()
