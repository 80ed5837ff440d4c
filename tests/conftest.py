"""Fixtures shared by every test package."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def realdata_dir() -> Path:
    """The shared real-data folder beside the repository; skips the test when it is absent."""
    folder = Path(__file__).resolve().parents[2] / "shared" / "realdata"
    if not folder.is_dir():
        pytest.skip("../shared/realdata is not beside the repository")
    return folder
