"""The store_meta counters caches key on, moved past every value a running app has seen when
a restore or a ``copy --replace`` swaps the store's whole content."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from typing import Any

from sqlalchemy import Connection, Engine, text

from store.db import REVISION_KEY
from store.deposit_views import DEPOSITS_REVISION, GRID_OF
from store.layer_repo import LAYER_REVISION_KEY

#: store_meta counters that caches key on: restore and copy --replace move them forward.
COUNTERS = (REVISION_KEY, DEPOSITS_REVISION, LAYER_REVISION_KEY)


def int_values(values: Mapping[str, Any]) -> dict[str, int]:
    """The values that are whole numbers, as ints (others left out)."""
    out = {}
    for key, value in values.items():
        with suppress(TypeError, ValueError):
            out[key] = int(value)
    return out


def counters_in(connection: Connection) -> dict[str, int]:
    """The cache counters the store holds now."""
    rows = connection.execute(text("SELECT key, value FROM store_meta"))
    return int_values({key: value for key, value in rows if key in COUNTERS})


def advance_counters(engine: Engine, before: Mapping[str, int]) -> None:
    """:func:`advance_counters_in`, in a transaction of its own."""
    with engine.begin() as connection:
        advance_counters_in(connection, before)


def advance_counters_in(connection: Connection, before: Mapping[str, int]) -> None:
    """Set each cache counter past both the replaced store's and the new content's value:
    an app caching on (database, counter) then never meets a key it has seen with other
    data. A deposit grid that was current stays marked current."""
    meta: dict[str, str] = {
        key: value for key, value in connection.execute(text("SELECT key, value FROM store_meta"))}
    grid_current = meta.get(GRID_OF) is not None and meta.get(GRID_OF) == meta.get(
        DEPOSITS_REVISION)
    values = {key: str(max(int_values(meta).get(key, 0), before[key]) + 1)
              for key in COUNTERS if key in before}
    if grid_current and DEPOSITS_REVISION in values:
        values[GRID_OF] = values[DEPOSITS_REVISION]
    for key, value in values.items():
        params = {"key": key, "value": value}
        if key in meta:
            connection.execute(text("UPDATE store_meta SET value = :value WHERE key = :key"),
                               params)
        else:
            connection.execute(text("INSERT INTO store_meta (key, value) VALUES (:key, :value)"),
                               params)
