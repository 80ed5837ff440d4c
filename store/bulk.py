"""Fast bulk upsert of a frame: column-wise conversion, one driver-level executemany.

SQLAlchemy's per-row parameter processing costs more than the database work for hundreds of
thousands of rows, so values are converted a column at a time and handed to the driver as
tuples. The SQL is the same ``INSERT ... ON CONFLICT DO UPDATE`` on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Boolean, Date, DateTime, Float, Integer, LargeBinary, Table
from sqlalchemy.orm import Session

_CHUNK = 20_000


def bulk_upsert(session: Session, table: Table, frame: pd.DataFrame, key: str, *,
                only_where: str = "") -> None:
    """Insert ``frame``'s rows into ``table``, updating rows whose ``key`` exists.

    ``only_where``: an extra SQL condition on the stored row for the update (e.g. a version).
    """
    quote = session.connection().dialect.identifier_preparer.quote
    names = [c.name for c in table.columns if c.name in frame.columns]
    updates = ", ".join(f"{quote(n)} = excluded.{quote(n)}" for n in names if n != key)
    condition = f" WHERE {only_where}" if only_where else ""
    _insert(session, table, frame, f" ON CONFLICT ({quote(key)}) DO UPDATE SET {updates}"
            f"{condition}")


def bulk_insert(session: Session, table: Table, frame: pd.DataFrame) -> None:
    """Append ``frame``'s rows to ``table`` (columns it lacks take their defaults)."""
    _insert(session, table, frame, "")


def _insert(session: Session, table: Table, frame: pd.DataFrame, conflict: str) -> None:
    if frame.empty:
        return
    names = [c.name for c in table.columns if c.name in frame.columns]
    connection = session.connection()
    dialect = connection.dialect
    values = [_python_values(frame[name], table.c[name].type, dialect.name) for name in names]
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    quote = dialect.identifier_preparer.quote
    sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
           f"VALUES ({', '.join([marker] * len(names))}){conflict}")
    rows = list(zip(*values, strict=True))
    for start in range(0, len(rows), _CHUNK):
        connection.exec_driver_sql(sql, rows[start:start + _CHUNK])


def _python_values(column: pd.Series, sql_type: Any, dialect: str) -> Sequence[Any]:
    """One column as plain Python values the driver accepts (None for unknown)."""
    if isinstance(sql_type, Date | DateTime):
        dates = pd.to_datetime(column, errors="coerce", utc=isinstance(sql_type, DateTime))
        if isinstance(sql_type, DateTime):
            dates = dates.dt.tz_convert("UTC").dt.tz_localize(None)
            # SQLite keeps SQLAlchemy's naive text form; PostgreSQL is told the zone.
            zone = "" if dialect == "sqlite" else "+00:00"
            text = dates.dt.strftime("%Y-%m-%d %H:%M:%S.%f") + zone
        else:
            text = dates.dt.strftime("%Y-%m-%d")
        return text.astype(object).where(dates.notna(), None).tolist()
    if isinstance(sql_type, Boolean):
        flags = column.fillna(False).astype(bool).tolist()
        return [int(v) for v in flags] if dialect == "sqlite" else flags
    if isinstance(sql_type, Integer):
        return pd.to_numeric(column, errors="coerce").fillna(0).astype("int64").tolist()
    if isinstance(sql_type, LargeBinary):
        return column.tolist()  # bytes as they are (WKB)
    if isinstance(sql_type, Float):
        numbers = pd.to_numeric(column, errors="coerce").to_numpy(float)
        return [None if np.isnan(v) else float(v) for v in numbers]
    return column.astype(object).where(column.notna(), "").astype(str).tolist()
