"""Roles are enforced where data changes or leaves, not by hiding buttons: every function that
changes or releases data refuses a role that may not (a plain message naming the role needed,
the store unchanged, the refusal audited, no success claimed) and, when allowed, writes exactly
one audit row naming who did what to what. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine, inspect, text, update

from domain.access import (
    ANONYMOUS,
    OPEN_ACCESS,
    AccessDenied,
    Action,
    Principal,
    Role,
)
from domain.errors import InputError, NotFoundError
from exports.export_file import ExportFormat
from permits.editing import plan_action_edit, plan_milestone_edit
from permits.frames import PermitData
from services.briefing import PackOptions, briefing_pack
from services.layer_export import cog_download, export_vector_layer
from services.publishing import LayerDetails, publish_upload, remove_layer
from services.site_export import change_history, selection_target, site_export
from sites.filters import SiteFilter
from sites.selection import SiteSelection
from store.audit import audit_rows
from store.errors import EditConflict
from store.layer_repo import (
    LayerRecord,
    NewLayer,
    add_layers,
    delete_layer,
    get_layer,
    list_layers,
    update_layer,
)
from store.models import Site, SurveyLayer
from store.permits_repo import (
    get_record,
    import_permit_data,
    load_changes,
    load_permit_data,
    save_edit,
)
from store.records import DEPOSIT_COLUMNS, import_deposits, remove_dataset
from store.startup import ensure_store
from tests.support.app_pages import page_as
from tests.support.fixtures_data import deposit_row, write_data_dir
from tests.support.layer_files import write_claims_zip, write_mixed_geojson
from tests.support.layer_fixtures import sample_layer
from tests.support.sample_store import use_sample_store

TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
VIEWER = Principal("vera", Role.VIEWER, "public")
EDITOR = Principal("ed", Role.EDITOR, "business-proprietary")
ADMIN = Principal("ada", Role.ADMIN, "controlled")
ROLES = [VIEWER, EDITOR, ADMIN]
RANK = {Role.VIEWER: 0, Role.EDITOR: 1, Role.ADMIN: 2}
# Tables an action may not touch when refused: all but the audit trail (and PostGIS's own).
UNWATCHED = {"audit_log", "spatial_ref_sys"}


@dataclass(frozen=True)
class Setting:
    """A seeded store with an imported dataset, a vector and a raster layer (file on disk)."""

    engine: Engine
    layer_dir: Path
    files: Path
    vector: LayerRecord
    raster: LayerRecord


@pytest.fixture()
def setting(database_url: str, tmp_path: Path) -> Setting:
    engine = ensure_store(database_url, write_data_dir(tmp_path / "data"))
    layer_dir = tmp_path / "layer_files"
    [vector] = add_layers(engine, [_layer("claims")], principal=OPEN_ACCESS)
    [raster] = add_layers(engine, [_layer("magnetics", kind="raster")], principal=OPEN_ACCESS)
    cog = layer_dir / raster.raster_file
    cog.parent.mkdir(parents=True)
    cog.write_bytes(b"II*\x00 not really a COG, but a file to send")
    import_deposits(engine, _deposits(5, "field-2026"), principal=OPEN_ACCESS,
                    dataset="field-2026", file_name="field.csv", checksum="f" * 64,
                    rows_read=5, report={})
    files = tmp_path / "uploads"
    files.mkdir()
    return Setting(engine, layer_dir, files, vector, raster)


def _layer(name: str, kind: str = "vector") -> NewLayer:
    return sample_layer(name, kind, properties=({"name": "claim 1"}, {"ha": 3}))


def _deposits(count: int, dataset: str) -> pd.DataFrame:
    rows = [deposit_row(f"{dataset}-{i}", f"Deposit {i}", dataset=dataset, lat=10 + i * 0.01,
                        lon=20.0) for i in range(count)]
    return pd.DataFrame(rows)[DEPOSIT_COLUMNS]


def _permit_batch(engine: Engine) -> PermitData:
    incoming = load_permit_data(engine).for_projects({"pm-alpha"})
    return PermitData.from_frames(
        incoming.projects.assign(project_id="fpd-1", dataset="permitting-dashboard"),
        incoming.actions.assign(project_id="fpd-1",
                                action_id="fpd-a" + incoming.actions["action_id"]),
        incoming.milestones.assign(project_id="fpd-1",
                                   action_id="fpd-a" + incoming.milestones["action_id"],
                                   milestone_id="fpd-m" + incoming.milestones["milestone_id"],
                                   depends_on=""))


# --- the actions ---------------------------------------------------------------------------


def _edit_milestone(s: Setting, who: Principal) -> Any:
    record = get_record(s.engine, "milestone", "pm-alpha-rod")
    plan = plan_milestone_edit(record, {"current_target": date(2027, 12, 31)},
                               reason="Court order", today=TODAY, lockout_days=0)
    return save_edit(s.engine, "milestone", "pm-alpha-rod", int(record["version"]), plan,
                     principal=who, who="typed name", reason="Court order")


def _edit_action(s: Setting, who: Principal) -> Any:
    record = get_record(s.engine, "action", "pm-alpha-404")
    plan = plan_action_edit(record, {"outcome": "permit issued"}, today=TODAY)
    return save_edit(s.engine, "action", "pm-alpha-404", int(record["version"]), plan,
                     principal=who, who="typed name", reason="Agency letter")


def _upload(s: Setting, who: Principal) -> Any:
    path = write_claims_zip(s.files)
    return publish_upload(s.engine, path, path.name, LayerDetails("Claims 2026", "typed name"),
                          principal=who, layer_dir=s.layer_dir)


@dataclass(frozen=True)
class Case:
    """One function that changes or releases data: the least role that may call it, the audit
    action it writes, its target, and (for exports) how many records it released."""

    name: str
    least: Role
    audit: str
    target: Callable[[Setting, Any], str]
    run: Callable[[Setting, Principal], Any]
    records: Callable[[Setting, Any], int | None] | None = None


SELECTION = SiteSelection(SiteFilter(commodities=("Li",)), TODAY)
CASES = [
    Case("milestone edit", Role.EDITOR, "timeline-edit", lambda s, r: "pm-alpha-rod",
         _edit_milestone),
    Case("action edit", Role.EDITOR, "timeline-edit", lambda s, r: "pm-alpha-404",
         _edit_action),
    Case("upload", Role.EDITOR, "upload", lambda s, r: ", ".join(x.id for x in r), _upload,
         lambda s, r: sum(x.feature_count for x in r)),
    Case("restyle", Role.EDITOR, "layer-restyle", lambda s, r: s.vector.id,
         lambda s, p: update_layer(s.engine, s.vector.id, principal=p,
                                   style={"colour": "#000000", "weight": 1})),
    Case("rename", Role.EDITOR, "layer-restyle", lambda s, r: s.vector.id,
         lambda s, p: update_layer(s.engine, s.vector.id, principal=p, name="Claims (old)",
                                   description="superseded")),
    Case("hide", Role.EDITOR, "layer-show", lambda s, r: s.vector.id,
         lambda s, p: update_layer(s.engine, s.vector.id, principal=p, hidden=True)),
    Case("delete layer", Role.ADMIN, "layer-delete", lambda s, r: s.raster.id,
         lambda s, p: remove_layer(s.engine, s.raster.id, s.layer_dir, principal=p)),
    Case("delete layer (store)", Role.ADMIN, "layer-delete", lambda s, r: s.vector.id,
         lambda s, p: delete_layer(s.engine, s.vector.id, principal=p)),
    Case("deposit import", Role.ADMIN, "import", lambda s, r: "mrds-2026",
         lambda s, p: import_deposits(s.engine, _deposits(3, "mrds-2026"), principal=p,
                                      dataset="mrds-2026", file_name="mrds.csv",
                                      checksum="0" * 64, rows_read=4, report={}),
         lambda s, r: 3),
    Case("dataset removal", Role.ADMIN, "deposit-remove", lambda s, r: "field-2026",
         lambda s, p: remove_dataset(s.engine, "field-2026", principal=p), lambda s, r: 5),
    Case("permits import", Role.ADMIN, "import", lambda s, r: "permitting-dashboard",
         lambda s, p: import_permit_data(s.engine, _permit_batch(s.engine), principal=p,
                                         who="", file_name="dash.csv", checksum="x",
                                         rows_read=4, report={}),
         lambda s, r: 4),
    Case("site export", Role.VIEWER, "export", lambda s, r: selection_target(SELECTION),
         lambda s, p: site_export(s.engine, SELECTION, TODAY, NOW, principal=p,
                                  detail="csv"),
         lambda s, r: len(r.columns)),
    Case("briefing pack", Role.VIEWER, "briefing", lambda s, r: selection_target(SELECTION),
         lambda s, p: briefing_pack(s.engine, SELECTION, TODAY, NOW, PackOptions.bundled(),
                                    principal=p),
         lambda s, r: 2),  # the two lithium sites
    Case("vector layer export", Role.VIEWER, "export", lambda s, r: f"layer {s.vector.id}",
         lambda s, p: export_vector_layer(s.engine, s.vector, ExportFormat.CSV, principal=p),
         lambda s, r: 2),
    Case("raster layer download", Role.VIEWER, "export", lambda s, r: f"layer {s.raster.id}",
         lambda s, p: cog_download(s.engine, s.raster, s.layer_dir, principal=p),
         lambda s, r: 1),
    Case("site history", Role.VIEWER, "export", lambda s, r: "change history of site us-alpha",
         lambda s, p: change_history(s.engine, principal=p, site_id="us-alpha"),
         lambda s, r: len(r)),
    Case("full history", Role.ADMIN, "export", lambda s, r: "full change history",
         lambda s, p: change_history(s.engine, principal=p), lambda s, r: len(r)),
]


def _snapshot(engine: Engine) -> dict[str, list[str]]:
    """Every row of every table but the audit trail, as sorted text."""
    tables = sorted(set(inspect(engine).get_table_names()) - UNWATCHED)
    with engine.connect() as connection:
        return {name: sorted(repr(tuple(bytes(v) if isinstance(v, memoryview) else v
                                        for v in row))
                             for row in connection.execute(text(f'SELECT * FROM "{name}"')))
                for name in tables}


def _audit(engine: Engine) -> pd.DataFrame:
    return audit_rows(engine, limit=None).sort_values("id")


@pytest.mark.parametrize("who", ROLES, ids=lambda p: p.role.value)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_each_action_checks_the_role_and_writes_one_audit_row(setting: Setting, case: Case,
                                                              who: Principal) -> None:
    engine = setting.engine
    before, seen = _snapshot(engine), set(_audit(engine)["id"])
    if RANK[who.role] < RANK[case.least]:
        with pytest.raises(AccessDenied, match=f"that needs the {case.least.value} role") as no:
            case.run(setting, who)
        assert str(no.value).startswith(f"{who.name} ({who.role.value}) may not ")
        assert _snapshot(engine) == before
        new = _audit(engine)
        new = new[~new["id"].isin(seen)]
        assert list(zip(new["actor"], new["action"], new["outcome"], strict=True)) == [
            (who.name, case.audit, "refused")]  # the attempt is on record; no success is
        if case.name == "delete layer":
            assert (setting.layer_dir / setting.raster.raster_file).is_file()
        return
    result = case.run(setting, who)
    new = _audit(engine)
    new = new[~new["id"].isin(seen)]
    assert len(new) == 1, new
    row = new.iloc[0]
    assert (row["actor"], row["action"], row["outcome"]) == (who.name, case.audit, "ok")
    assert row["target"] == case.target(setting, result)
    if case.records is not None:
        assert row["records"] == case.records(setting, result)


def test_the_matrix_is_the_one_the_issue_asks_for() -> None:
    """viewer: browse and export; editor: also edit timelines, upload and restyle layers;
    admin: also delete layers, import tables and export the full history."""
    least = {case.name: case.least for case in CASES}
    assert {name for name, role in least.items() if role is Role.EDITOR} == {
        "milestone edit", "action edit", "upload", "restyle", "rename", "hide"}
    assert {name for name, role in least.items() if role is Role.ADMIN} == {
        "delete layer", "delete layer (store)", "deposit import", "dataset removal",
        "permits import", "full history"}
    for case in CASES:
        action = {"timeline-edit": Action.EDIT_TIMELINE, "upload": Action.UPLOAD_LAYER,
                  "layer-restyle": Action.RESTYLE_LAYER, "layer-show": Action.RESTYLE_LAYER,
                  "layer-delete": Action.DELETE_LAYER, "import": Action.IMPORT_TABLE,
                  "deposit-remove": Action.IMPORT_TABLE}.get(case.audit)
        if action is not None:
            assert [p.may(action) for p in ROLES] == [RANK[p.role] >= RANK[case.least]
                                                      for p in ROLES]


def test_anonymous_visitors_are_told_to_sign_in(setting: Setting) -> None:
    with pytest.raises(AccessDenied, match="Anonymous visitors may not edit permitting "
                                           "timelines: that needs the editor role"):
        _edit_milestone(setting, ANONYMOUS)


def test_the_history_and_the_catalog_name_the_signed_in_person(setting: Setting) -> None:
    _edit_milestone(setting, EDITOR)
    last = load_changes(setting.engine).iloc[-1]
    assert (last["entity_id"], last["who"]) == ("pm-alpha-rod", "ed")  # not "typed name"
    detail = _audit(setting.engine).iloc[-1]["detail"]
    assert "current_target 2027-09-30 → 2027-12-31" in detail and "typed" not in detail
    [layer] = _upload(setting, EDITOR)
    assert get_layer(setting.engine, layer.id).uploaded_by == "ed"


def test_open_access_keeps_the_typed_name_and_needs_one(setting: Setting) -> None:
    _edit_action(setting, OPEN_ACCESS)
    assert load_changes(setting.engine).iloc[-1]["who"] == "typed name"
    assert _audit(setting.engine).iloc[-1]["actor"] == "open access"
    record = get_record(setting.engine, "milestone", "pm-alpha-rod")
    plan = plan_milestone_edit(record, {"current_target": date(2028, 1, 31)},
                               reason="Court order", today=TODAY, lockout_days=0)
    with pytest.raises(InputError, match="Enter your name"):
        save_edit(setting.engine, "milestone", "pm-alpha-rod", int(record["version"]), plan,
                  principal=OPEN_ACCESS, who="  ", reason="Court order")


def test_a_change_that_fails_leaves_no_audit_row(setting: Setting) -> None:
    record = get_record(setting.engine, "milestone", "pm-alpha-rod")
    plan = plan_milestone_edit(record, {"current_target": date(2027, 12, 31)},
                               reason="Court order", today=TODAY, lockout_days=0)
    seen = len(_audit(setting.engine))
    with pytest.raises(EditConflict):
        save_edit(setting.engine, "milestone", "pm-alpha-rod", int(record["version"]) - 1,
                  plan, principal=EDITOR, reason="Court order")
    with pytest.raises(InputError, match="needs a name"):
        update_layer(setting.engine, setting.vector.id, principal=EDITOR, name=" ")
    assert len(_audit(setting.engine)) == seen


def _mark(engine: Engine, model: Any, ident: str, marking: str) -> None:
    with engine.begin() as connection:
        connection.execute(update(model).where(model.id == ident).values(marking=marking))


def test_exports_leave_out_what_the_clearance_does_not_reach(setting: Setting) -> None:
    engine = setting.engine
    _mark(engine, Site, "us-alpha", "controlled")
    seen = site_export(engine, SELECTION, TODAY, NOW, principal=EDITOR)
    assert sorted(seen.columns["id"]) == ["us-xss"]
    everything = site_export(engine, SELECTION, TODAY, NOW, principal=ADMIN)
    assert sorted(everything.columns["id"]) == ["us-alpha", "us-xss"]
    pack = briefing_pack(engine, SELECTION, TODAY, NOW, PackOptions.bundled(),
                         principal=VIEWER)
    assert b"us-alpha" not in _unzipped(pack.data) and b"us-xss" in _unzipped(pack.data)
    rows = _audit(engine).tail(3)
    assert list(zip(rows["actor"], rows["action"], rows["records"], rows["marking"],
                    strict=True)) == [("ed", "export", 1, "public"),
                                      ("ada", "export", 2, "controlled"),
                                      ("vera", "briefing", 1, "public")]
    assert set(rows["target"]) == {"commodity=Li&as_of=2026-11-25"}


def _unzipped(data: bytes) -> bytes:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return b"".join(archive.read(name) for name in archive.namelist()
                        if name != "map.png")


def test_a_marked_layer_is_exported_only_to_those_cleared_for_it(setting: Setting) -> None:
    engine = setting.engine
    _mark(engine, SurveyLayer, setting.vector.id, "controlled")
    marked = get_layer(engine, setting.vector.id)
    with pytest.raises(NotFoundError, match="No survey layer"):
        export_vector_layer(engine, marked, ExportFormat.GEOJSON, principal=EDITOR)
    export_vector_layer(engine, marked, ExportFormat.GEOJSON, principal=ADMIN)
    last = _audit(engine).iloc[-1]
    assert (last["actor"], last["records"], last["marking"]) == ("ada", 2, "controlled")
    pack = briefing_pack(engine, SiteSelection(SiteFilter(), TODAY), TODAY, NOW,
                         PackOptions.bundled(), principal=EDITOR)
    assert b"claims" not in _unzipped(pack.data) and b"magnetics" in _unzipped(pack.data)


def test_the_page_and_route_exports_are_checked_and_audited(
        setting: Setting, database_url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from mapping import export_files
    from mapping.web.export_api import selection_from

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PERMITMAP_DATA_DIR", str(tmp_path / "data"))
    today = date.today()
    selection = selection_from([("commodity", "Li"), ("token", "pm_secret")], today, VIEWER)
    # a token in the URL is a credential, not a filter
    assert selection == SiteSelection(SiteFilter(commodities=("Li",)), today)
    file = export_files.sites_file(selection, ExportFormat.GEOJSON, principal=VIEWER)
    assert sorted(f["id"] for f in json.loads(file.data)["features"]) == ["us-alpha", "us-xss"]
    export_files.briefing_file(selection, principal=VIEWER)
    rows = _audit(setting.engine).tail(2)
    assert list(zip(rows["actor"], rows["action"], rows["detail"], rows["records"],
                    strict=True)) == [("vera", "export", "geojson", 2),
                                      ("vera", "briefing", "1 permitting project; 2 survey "
                                                           "layers", 2)]


def test_the_command_line_acts_as_an_admin_named_after_the_user(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from commands.main import main
    from domain.settings import load_settings

    use_sample_store(tmp_path, monkeypatch, "cli.db")
    monkeypatch.setenv("USER", "ops")
    table = tmp_path / "survey.csv"
    table.write_text("record_id,site_name,latitude,longitude,commodity\n"
                     "A1,Good,40.5,-117.2,Lithium\n", encoding="utf-8")
    claims = write_claims_zip(tmp_path)
    assert main(["deposits", "import", str(table), "--dataset", "field"]) == 0
    assert main(["layers", "publish", str(claims)]) == 0
    assert main(["export", "sites", "--format", "csv", "--out", str(tmp_path)]) == 0
    assert main(["permits", "history"]) == 0
    assert main(["deposits", "remove", "field"]) == 0
    capsys.readouterr()
    settings = load_settings()
    engine = ensure_store(settings.database_url, settings.data_dir)
    rows = _audit(engine)
    assert list(zip(rows["actor"], rows["action"], rows["outcome"], strict=True)) == [
        ("cli:ops", "import", "ok"), ("cli:ops", "upload", "ok"), ("cli:ops", "export", "ok"),
        ("cli:ops", "export", "ok"), ("cli:ops", "deposit-remove", "ok")]
    assert rows.iloc[3]["target"] == "full change history"
    assert [layer.uploaded_by for layer in list_layers(engine)] == ["ops"]


# --- the pages: controls follow the role; a refusal is a plain message, never a traceback ----


@dataclass(frozen=True)
class StalePage(Principal):
    """A page drawn as if the role allowed everything (every control shows), while the store
    checks the real role: what a page sees when the role changed after it was drawn."""

    def may(self, action: Action) -> bool:
        return True

    def require(self, action: Action) -> None:
        Principal(self.name, self.role, self.clearance, self.kind).require(action)


@pytest.fixture()
def app_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    use_sample_store(tmp_path, monkeypatch, "app.db")
    engine = ensure_store(f"sqlite:///{tmp_path / 'app.db'}", tmp_path / "data")
    path = write_claims_zip(tmp_path)
    publish_upload(engine, path, path.name, LayerDetails("Claims", "bob"),
                   layer_dir=tmp_path / "layer_files", principal=OPEN_ACCESS)
    return engine


_page = page_as


def _labels(at: Any) -> set[str]:
    return {b.label for b in at.button}


def _shown(at: Any) -> str:
    return "\n".join(str(e.value).replace("\\", "") for kind in ("error", "info", "caption",
                                                                  "markdown")
                     for e in getattr(at, kind))


@pytest.mark.parametrize(("who", "offered"), [
    (VIEWER, {"Zoom to layer"}),
    (EDITOR, {"Zoom to layer", "Hide from the map", "Save marking",
              "Save name and description", "Save style"}),
    (ADMIN, {"Zoom to layer", "Hide from the map", "Save marking",
             "Save name and description", "Save style", "Delete the layer"}),
], ids=["viewer", "editor", "admin"])
def test_the_layer_catalog_offers_what_the_role_allows(
        app_store: Engine, monkeypatch: pytest.MonkeyPatch, who: Principal,
        offered: set[str]) -> None:
    at = _page(monkeypatch, who, "pages/layers_page.py")
    assert _labels(at) - {"Upload a layer"} == offered


def test_a_refused_delete_on_the_page_is_a_message_and_deletes_nothing(
        app_store: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _page(monkeypatch, StalePage("ed", Role.EDITOR), "pages/layers_page.py")
    next(b for b in at.button if b.label == "Delete the layer").click().run()
    assert not at.exception
    assert any("that needs the admin role" in e.value for e in at.error)
    assert len(list_layers(app_store)) == 1
    assert _audit(app_store).iloc[-1][["actor", "action", "outcome"]].tolist() == [
        "ed", "layer-delete", "refused"]


def test_the_upload_page_names_the_account_and_refuses_a_viewer(
        app_store: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = write_mixed_geojson(tmp_path)  # not the claims the fixture published
    for who in (StalePage("vera", Role.VIEWER), EDITOR):
        at = _page(monkeypatch, who, "pages/upload_page.py")
        at.file_uploader(key="upload_file").set_value(
            [(path.name, path.read_bytes(), "application/geo+json")]).run()
        form = {w.label: w for w in at.text_input}
        assert "Uploaded by" not in form  # the account names the uploader
        form["Name"].set_value(f"Survey by {who.name}")
        at.button[-1].click().run()
        assert not at.exception, at.exception
        refused = [e.value for e in at.error if "that needs the editor role" in e.value]
        assert len(refused) == (1 if who.name == "vera" else 0)
    uploaders = {r.uploaded_by for r in list_layers(app_store)}
    assert uploaders == {"bob", "ed"}  # the fixture's, then the editor's (one per geometry)
    actions = _audit(app_store)[["actor", "action", "outcome"]].values.tolist()
    assert ["vera", "upload", "refused"] in actions and ["ed", "upload", "ok"] in actions


def test_the_timeline_page_edits_as_the_signed_in_person(
        app_store: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    viewer = _page(monkeypatch, VIEWER, "pages/timeline_page.py", site="us-alpha")
    assert "Save the change" not in _labels(viewer)
    assert "changing it needs the editor role" in _shown(viewer)
    at = _page(monkeypatch, EDITOR, "pages/timeline_page.py", site="us-alpha")
    at.selectbox(key="edit_milestone").set_value("pm-alpha-rod").run()
    assert not [w for w in at.text_input if w.label == "Your name"]
    at.date_input(key="edit_current_target_pm-alpha-rod_0").set_value(date(2028, 3, 31))
    at.selectbox(key="edit_reason_choice_pm-alpha-rod_0").set_value(
        "Litigation or court order")
    next(b for b in at.button if b.label == "Save the change").click().run()
    assert not at.exception and any("Saved: current target" in n.value.replace("\\", "")
                                    for n in at.success)
    assert load_changes(app_store).iloc[-1][["entity_id", "who"]].tolist() == [
        "pm-alpha-rod", "ed"]
    stale = _page(monkeypatch, StalePage("vera", Role.VIEWER), "pages/timeline_page.py",
                  site="us-alpha")
    stale.selectbox(key="action_edit").set_value("pm-alpha-404").run()
    stale.text_input(key=_action_key("outcome")).input("denied")
    next(b for b in stale.button if b.label == "Save the action").click().run()
    assert not stale.exception
    assert any("that needs the editor role" in e.value for e in stale.error)
    assert get_record(app_store, "action", "pm-alpha-404")["version"] == 1


def _action_key(field: str) -> str:
    from mapping import state_keys as keys

    return keys.action_key("pm-alpha-404", field, 0)
