"""Settings read from environment variables (prefix ``PERMITMAP_``), documented in the README."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"


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


def load_settings() -> Settings:
    """Read the settings now (tests change the environment between calls)."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        db_path = Path(os.environ.get("PERMITMAP_DB_PATH", REPO_ROOT / "var" / "permitmap.db"))
        url = f"sqlite:///{db_path.resolve()}"
    return Settings(
        database_url=url,
        data_dir=Path(os.environ.get("PERMITMAP_DATA_DIR") or DATA_DIR),
        online_basemaps=_flag("PERMITMAP_ONLINE_BASEMAPS", False),
        map_point_limit=int(os.environ.get("PERMITMAP_MAP_POINT_LIMIT", "2000")),
        layer_dir=Path(os.environ.get("PERMITMAP_LAYER_DIR") or REPO_ROOT / "var" / "layers"),
        max_upload_mb=int(os.environ.get("PERMITMAP_MAX_UPLOAD_MB", "500")),
    )
