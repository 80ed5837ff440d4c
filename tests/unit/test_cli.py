"""The `permitmap` command: db init is idempotent; imports report what they did and never
print a traceback for a file the user got wrong."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from commands.main import main
from domain.settings import load_settings
from store.records import deposit_points, store_counts
from store.startup import ensure_store
from tests.support.fixtures_data import SAMPLE_SITES
from tests.support.sample_store import use_sample_store


@pytest.fixture(autouse=True)
def sample_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_sample_store(tmp_path, monkeypatch, "cli.db")


def _engine():  # type: ignore[no-untyped-def]
    settings = load_settings()
    return ensure_store(settings.database_url, settings.data_dir)


def test_db_init_twice_does_not_duplicate(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "init"]) == 0
    assert main(["db", "init"]) == 0
    out = capsys.readouterr().out
    assert f"{len(SAMPLE_SITES)} sites" in out.splitlines()[-1]
    assert store_counts(_engine())["sites"] == len(SAMPLE_SITES)


def test_import_reports_skipped_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = tmp_path / "survey.csv"
    with table.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["record_id", "site_name", "latitude", "longitude", "commodity"])
        writer.writerow(["A1", "Good", "40.5", "-117.2", "Lithium"])
        writer.writerow(["A2", "Sentinel", "-9999.99", "-9999.99", "Copper"])
        writer.writerow(["A3", "Too far north", "96", "10", "Gold"])
    assert main(["deposits", "import", str(table), "--dataset", "field-2026"]) == 0
    out = capsys.readouterr().out
    assert "3 rows read, 1 loaded into dataset 'field-2026'" in out
    assert "2 skipped" in out and "row 3" in out and "row 4" in out
    points = deposit_points(_engine())
    assert "Good" in set(points["name"]) and "Sentinel" not in set(points["name"])


def test_bad_file_gives_one_line_and_exit_1(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    table = tmp_path / "notes.csv"
    table.write_text("when,what\n2026-01-01,visited\n", encoding="utf-8")
    before = store_counts(_engine())
    assert main(["deposits", "import", str(table)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err
    assert "when, what" in err  # names the columns it found
    assert main(["deposits", "import", str(tmp_path / "missing.csv")]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert store_counts(_engine()) == before


@pytest.mark.realdata
def test_import_real_mrds_twice(realdata_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = realdata_dir / "deposits" / "minmod_mrds_sites_8079.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = sum(1 for _ in csv.DictReader(handle))
    assert main(["deposits", "import", str(path)]) == 0
    assert main(["deposits", "import", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    first = next(line for line in out if "rows read" in line)
    assert f"{rows} rows read" in first and f"({rows} new, 0 updated)" in first
    assert f"(0 new, {rows} updated)" in [line for line in out if "rows read" in line][1]
    counts = store_counts(_engine())
    assert counts["deposits"] == rows + 2  # plus the two sample deposits


def test_binary_and_ragged_files_are_named_plainly(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    import gzip

    packed = tmp_path / "deposits.csv"
    packed.write_bytes(gzip.compress(b"lat,lon\n1,2\n"))
    assert main(["deposits", "import", str(packed)]) == 1
    err = capsys.readouterr().err
    assert "compressed or binary file" in err and "unzip it" in err
    ragged = tmp_path / "notes.csv"
    ragged.write_text("lat\n1\n2\n3,4,5\n", encoding="utf-8")
    assert main(["deposits", "import", str(ragged)]) == 1
    err = capsys.readouterr().err
    assert "line 4 has 3 fields where the header has 1" in err and "C error" not in err


def test_list_and_remove_an_imported_dataset(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    table = tmp_path / "survey.csv"
    table.write_text("record_id,site_name,latitude,longitude\nA1,Good,40.5,-117.2\n",
                     encoding="utf-8")
    assert main(["deposits", "import", str(table), "--dataset", "field-2026"]) == 0
    assert main(["deposits", "list"]) == 0
    listing = capsys.readouterr().out
    assert "1  field-2026" in listing and "2  permitmap-curated" in listing
    assert main(["deposits", "remove", "field-2026"]) == 0
    assert "removed 1 deposits of dataset 'field-2026'" in capsys.readouterr().out
    assert store_counts(_engine())["deposits"] == 2
    assert main(["deposits", "remove", "field-2026"]) == 1
    assert "No dataset named 'field-2026'" in capsys.readouterr().err
    assert main(["deposits", "remove", "permitmap-curated"]) == 1
    assert "cannot be removed" in capsys.readouterr().err
    assert store_counts(_engine())["deposits"] == 2


def test_the_command_gives_the_calling_process_its_broken_pipe_handling_back() -> None:
    """`permitmap … | head` ends quietly (SIGPIPE's default while the command runs); a
    process that calls main() and goes on must not be killed by its next write to a closed
    socket (this once ended a whole test run)."""
    import signal

    before = signal.getsignal(signal.SIGPIPE)
    assert before != signal.SIG_DFL  # Python ignores SIGPIPE and raises BrokenPipeError
    assert main(["db", "init"]) == 0
    assert signal.getsignal(signal.SIGPIPE) == before
    assert main(["deposits", "import", "/nonexistent.csv"]) == 1  # an error: restored too
    assert signal.getsignal(signal.SIGPIPE) == before
