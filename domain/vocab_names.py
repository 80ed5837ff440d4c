"""Japanese names of the vocabularies (``data/vocab_ja.csv``) and of Japanese places
(``data/places_ja.csv``), and the text folding that lets a search match either script.

Stdlib only. The files are read from the data folder the settings give, once per folder.

>>> fold_text("ﾆｲﾊﾏ") == fold_text("にいはま") == fold_text("ニイハマ")
True
>>> fold_text("ＡＢＣ Niihama")
'abc niihama'
"""

from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from domain.settings import load_settings

VOCAB_FILE = "vocab_ja.csv"
VOCAB_COLUMNS = ("vocabulary", "code", "name_en", "name_ja", "source")
PLACES_FILE = "places_ja.csv"
PLACE_COLUMNS = ("code", "prefecture", "municipality", "prefecture_kana", "municipality_kana",
                 "source")
#: The languages the app is shown in.
LANGUAGES = ("en", "ja")

#: A ``str.translate`` table: katakana ァ (U+30A1) .. ヶ (U+30F6) as hiragana ぁ (U+3041) ..
#: ゖ (U+3096), one offset apart.
KATAKANA_TO_HIRAGANA = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}


def fold_text(text: str) -> str:
    """Text as a search compares it: Unicode NFKC (full- and half-width forms become one:
    ｶﾀｶﾅ -> カタカナ, ＡＢＣ -> ABC), katakana as hiragana, case folded, runs of spaces as one.

    >>> fold_text("  ﾆｲﾊﾏｼ  新居浜市 ")
    'にいはまし 新居浜市'
    """
    normal = unicodedata.normalize("NFKC", text).translate(KATAKANA_TO_HIRAGANA).casefold()
    return " ".join(normal.split())


@dataclass(frozen=True)
class VocabName:
    """One code of one vocabulary: its English and Japanese names and the source of the
    Japanese one (a URL, or "translation (...)" where no standard term was found)."""

    vocabulary: str
    code: str
    name_en: str
    name_ja: str
    source: str


def _data_dir(data_dir: Path | None) -> Path:
    return Path(data_dir) if data_dir is not None else load_settings().data_dir


def _rows(path: Path, columns: tuple[str, ...]) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path.name} lacks the columns {', '.join(missing)}.")
        return [{c: (row.get(c) or "").strip() for c in columns} for row in reader]


@lru_cache(maxsize=8)
def _vocab_table(folder: Path) -> dict[tuple[str, str], VocabName]:
    path = folder / VOCAB_FILE
    if not path.is_file():
        return {}
    table: dict[tuple[str, str], VocabName] = {}
    for row in _rows(path, VOCAB_COLUMNS):
        key = (row["vocabulary"], row["code"])
        if key in table:
            raise ValueError(f"{VOCAB_FILE} lists {row['vocabulary']} {row['code']!r} twice.")
        table[key] = VocabName(**row)
    return table


def vocab_names(data_dir: Path | None = None) -> dict[tuple[str, str], VocabName]:
    """Every row of ``vocab_ja.csv``: (vocabulary, code) -> :class:`VocabName` (empty when
    the data folder has no such file)."""
    return _vocab_table(_data_dir(data_dir).resolve())


def japanese_name(vocabulary: str, code: str, data_dir: Path | None = None) -> str | None:
    """The Japanese name of one code of one vocabulary, or None when there is none.

    >>> japanese_name("commodity", "Dy")
    'ジスプロシウム'
    >>> japanese_name("commodity", "no such code") is None
    True
    """
    found = vocab_names(data_dir).get((vocabulary, code))
    return found.name_ja if found is not None and found.name_ja else None


def name_in(lang: str, vocabulary: str, code: str, english: str,
            data_dir: Path | None = None) -> str:
    """What to show for a code in ``lang`` ("en" or "ja"): the Japanese name in Japanese
    when there is one, else ``english`` (the app's English label).

    >>> name_in("ja", "stage", "permanent magnet", "Permanent magnet")
    '永久磁石'
    >>> name_in("en", "stage", "permanent magnet", "Permanent magnet")
    'Permanent magnet'
    """
    if lang == "ja":
        return japanese_name(vocabulary, code, data_dir) or english
    return english


@lru_cache(maxsize=8)
def _place_table(folder: Path) -> dict[str, str]:
    path = folder / PLACES_FILE
    if not path.is_file():
        return {}
    readings: dict[str, str] = {}
    for row in _rows(path, PLACE_COLUMNS):
        for name, kana in ((row["prefecture"], row["prefecture_kana"]),
                           (row["municipality"], row["municipality_kana"])):
            if name and kana:
                readings[name] = unicodedata.normalize("NFKC", kana)
    return readings


def place_readings(data_dir: Path | None = None) -> dict[str, str]:
    """Every Japanese prefecture and municipality name of ``places_ja.csv`` -> its reading."""
    return dict(_place_table(_data_dir(data_dir).resolve()))


def place_reading(name_ja: str, data_dir: Path | None = None) -> str | None:
    """The kana reading of a Japanese prefecture or municipality name, as the Ministry of
    Internal Affairs and Communications' local government code list gives it (full-width
    katakana), or None when the name is not in ``places_ja.csv``.

    >>> place_reading("新居浜市")
    'ニイハマシ'
    """
    return _place_table(_data_dir(data_dir).resolve()).get(name_ja.strip())
