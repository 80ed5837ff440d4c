"""Fixtures shared by every test package.

``layers`` is imported first: it sets GDAL_SKIP, which only counts before pyogrio is first
imported, and a test module may import pyogrio before anything of ours.
"""

from __future__ import annotations

# isort: off
import layers  # noqa: F401

# isort: on
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.postgres_server import fresh_database, release_database, running_server


def pytest_sessionstart(session: pytest.Session) -> None:
    """The translation catalogs compiled, as `make assets` leaves them (a bare `pytest`)."""
    from mapping.catalogs import compile_catalogs

    compile_catalogs()


@pytest.fixture
def realdata_dir() -> Path:
    """The shared real-data folder beside the repository; skips the test when it is absent."""
    folder = Path(__file__).resolve().parents[2] / "shared" / "realdata"
    if not folder.is_dir():
        pytest.skip("../shared/realdata is not beside the repository")
    return folder


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server for this test session (see tests/support/postgres_server.py)."""
    with running_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each supported kind: the store's tests run on both. A PostgreSQL
    database's connections are closed after its test (hundreds of idle ones filled memory)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store' / 'permitmap.db'}"
        return
    server = request.getfixturevalue("postgres_server")
    url = fresh_database(server)
    yield url
    release_database(server, url)
