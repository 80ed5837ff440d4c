"""Settings read from environment variables (prefix ``PERMITMAP_``), documented in the README."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: The folder holding the packages: the checkout (also when installed editable), or
#: site-packages when installed from a wheel.
REPO_ROOT = Path(__file__).resolve().parent.parent
#: True in a checkout; False when installed from a wheel (no pyproject.toml beside the packages).
IN_CHECKOUT = (REPO_ROOT / "pyproject.toml").is_file()
#: The bundled seed data: the checkout's top-level ``data/``, shipped in the wheel as the
#: folder ``permitmap_data`` beside the packages (pyproject's ``[tool.setuptools.package-dir]``).
DATA_DIR = REPO_ROOT / ("data" if IN_CHECKOUT else "permitmap_data")


def var_dir() -> Path:
    """Where the store and the layer files live by default: ``var/`` in the checkout, else
    ``var/`` in the working directory (never inside site-packages)."""
    return REPO_ROOT / "var" if IN_CHECKOUT else Path.cwd() / "var"


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """What the app reads from its environment."""

    database_url: str
    data_dir: Path
    online_basemaps: bool
    map_point_limit: int
    layer_dir: Path
    max_upload_mb: int
    session_hours: float = 12.0


def load_settings() -> Settings:
    """Read the settings now (tests change the environment between calls)."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        db_path = Path(os.environ.get("PERMITMAP_DB_PATH") or var_dir() / "permitmap.db")
        url = f"sqlite:///{db_path.resolve()}"
    return Settings(
        database_url=url,
        data_dir=Path(os.environ.get("PERMITMAP_DATA_DIR") or DATA_DIR),
        online_basemaps=_flag("PERMITMAP_ONLINE_BASEMAPS", False),
        map_point_limit=int(os.environ.get("PERMITMAP_MAP_POINT_LIMIT", "2000")),
        layer_dir=Path(os.environ.get("PERMITMAP_LAYER_DIR") or var_dir() / "layers"),
        max_upload_mb=int(os.environ.get("PERMITMAP_MAX_UPLOAD_MB", "500")),
        session_hours=_hours(os.environ.get("PERMITMAP_SESSION_HOURS", "")),
    )


def _hours(text: str) -> float:
    """How long a browser stays signed in: PERMITMAP_SESSION_HOURS (default 12), more than
    0 and at most 720 (30 days).

    >>> _hours(""), _hours("8"), _hours("0.5")
    (12.0, 8.0, 0.5)
    """
    if not text.strip():
        return 12.0
    try:
        hours = float(text)
    except ValueError:
        hours = -1.0
    if not 0 < hours <= 720:
        raise ValueError(f"PERMITMAP_SESSION_HOURS must be a number of hours above 0 and at "
                         f"most 720 (it is {text!r}).")
    return hours
