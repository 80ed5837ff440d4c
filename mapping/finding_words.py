"""A rule-set finding's sentence in the page's language. ``permits.rules`` writes it in
English (files, the command line, ``permits report``); a page in another language says it
again from the finding's own columns, with the clock's Japanese label where its rule set gives
one (``label_ja``; else the label as written).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from domain.i18n import ENGLISH, JAPANESE, current_language, ntr, tr
from permits.vocab import FindingStatus


def finding_sentence(row: Mapping[Any, Any]) -> str:
    """The sentence of one finding (a row of ``permits.rules.check_rules``)."""
    if current_language() == ENGLISH:
        return str(row["message"])
    label = _label(row)
    if row["status"] == FindingStatus.NO_START_EVENT.value:
        return tr("{label}: no start event is recorded, so the clock cannot be checked.").format(
            label=label)
    fields = {"milestone": row["milestone"], "label": label,
              "due": _day(row["due"]), "start": _day(row["start"])}
    if row["status"] == FindingStatus.NO_TARGET.value:
        return tr("{milestone} due {due} under the {label} clock (from {start}); it has no "
                  "target date yet.").format(**fields)
    over = float(row["over_by_days"])
    days = int(abs(over))
    fields |= {"kind": tr(str(row["compared_kind"])), "compared": row["compared_text"]}
    if row.get("minimum"):
        if over > 0:
            return ntr("{milestone} not before {due} under the {label} clock (from {start}); "
                       "{kind} {compared} is {days} day too early.",
                       "{milestone} not before {due} under the {label} clock (from {start}); "
                       "{kind} {compared} is {days} days too early.", days).format(
                days=days, **fields)
        return tr("{milestone} not before {due} under the {label} clock (from {start}); "
                  "{kind} {compared} respects it.").format(**fields)
    if over > 0:
        return ntr("{milestone} due {due} under the {label} clock (from {start}); {kind} "
                   "{compared} exceeds it by {days} day.",
                   "{milestone} due {due} under the {label} clock (from {start}); {kind} "
                   "{compared} exceeds it by {days} days.", days).format(days=days, **fields)
    return ntr("{milestone} due {due} under the {label} clock (from {start}); {kind} "
               "{compared} is within it ({days} day to spare).",
               "{milestone} due {due} under the {label} clock (from {start}); {kind} "
               "{compared} is within it ({days} days to spare).", days).format(
        days=days, **fields)


def _day(value: Any) -> str:
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()


def _label(row: Mapping[Any, Any]) -> str:
    """The clock's label in the page's language: its ``label_ja`` in Japanese when given."""
    japanese = row.get("label_ja")
    if current_language() == JAPANESE and isinstance(japanese, str) and japanese:
        return japanese
    return str(row["label"])
