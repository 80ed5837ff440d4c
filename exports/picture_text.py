"""The briefing picture's lettering: a font that has the characters to draw (Pillow's own
font, else a font from a Debian package when one is installed; never one fetched from the
internet), and site names shortened to fit a label.

A name with characters no installed font has (Japanese without a CJK font, say) is still
drawn: those characters come out as the font's empty box, never as an error, and
:func:`lettering_note` says so in words (the briefing pack's README carries it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from domain.i18n import ntr, tr

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

FONT_FILES: tuple[Path, ...] = (
    # fonts-dejavu-core: Latin with accents and dashes, Greek, Cyrillic
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    # Japanese: fonts-noto-cjk, fonts-ipafont-gothic, fonts-vlgothic, fonts-takao-gothic
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf"),
    Path("/usr/share/fonts/truetype/vlgothic/VL-Gothic-Regular.ttf"),
    Path("/usr/share/fonts/truetype/takao-gothic/TakaoGothic.ttf"),
)
"""Fonts tried, in order, when Pillow's own (Aileron: English letters only, no "é" nor
"–") lacks a character of the text."""

JAPANESE_FONT_PACKAGE = "fonts-ipafont-gothic"
"""The Debian package ``scripts/install_fonts.sh`` installs for Japanese names (3.5 MB, where
fonts-noto-cjk is 57 MB for the same kana and kanji)."""

_NO_SUCH_CHARACTER = "\U0010fffd"  # a private-use code point: every font draws its .notdef


def font_for(texts: Iterable[str], size: int,
             files: Iterable[Path] = FONT_FILES) -> Font:
    """The first font that has every character of ``texts``: Pillow's own, then the
    installed ``files`` in their order; when none has them all, the one that has the most.

    >>> font_for(["Stibnite Gold Project"], 13).getname()
    ('Aileron', 'Regular')
    >>> font_for(["Stibnite"], 13, files=[Path("/nonexistent.ttf")]).getname()
    ('Aileron', 'Regular')
    """
    characters = {c for text in texts for c in text if not c.isspace()}
    fonts = [(None, _font(None, size))] + [(str(p), _font(str(p), size))
                                           for p in files if p.is_file()]
    best, most = fonts[0][1], -1
    for path, font in fonts:
        has = sum(has_character(path, size, c) for c in characters)
        if has == len(characters):
            return font
        if has > most:
            best, most = font, has
    return best


def has_character(path: str | None, size: int, character: str) -> bool:
    """Whether the font at ``path`` (None: Pillow's own) draws ``character`` as itself
    rather than as its empty box.

    >>> has_character(None, 13, "A"), has_character(None, 13, "南")
    (True, False)
    """
    return _has(path, size, character)


def missing_characters(texts: Iterable[str], size: int,
                       files: Iterable[Path] = FONT_FILES) -> list[str]:
    """The characters of ``texts`` that neither Pillow's own font nor any installed font of
    ``files`` has: they are drawn as boxes. In their order of first appearance.

    >>> missing_characters(["Stibnite", "南鳥島"], 13, files=[])
    ['南', '鳥', '島']
    """
    paths = [None, *(str(p) for p in files if p.is_file())]
    seen = dict.fromkeys(c for text in texts for c in text if not c.isspace())
    return [c for c in seen if not any(has_character(path, size, c) for path in paths)]


def lettering_note(texts: Iterable[str], size: int,
                   files: Iterable[Path] = FONT_FILES) -> str | None:
    """What to tell the reader when some characters of ``texts`` are drawn as boxes (no
    installed font has them), naming the Debian package to install for Japanese; None when
    every character is drawn.

    >>> lettering_note(["Stibnite Gold"], 13, files=[]) is None
    True
    >>> print(lettering_note(["住友金属鉱山"], 13, files=[]))  # doctest: +ELLIPSIS
    Japanese names are drawn as boxes: no Japanese font is installed on the server; \
install Debian's fonts-ipafont-gothic (scripts/install_fonts.sh) or fonts-noto-cjk...
    """
    missing = missing_characters(texts, size, files)
    if not missing:
        return None
    japanese = [c for c in missing if is_japanese(c)]
    others = [c for c in missing if not is_japanese(c)]
    notes = []
    if japanese:
        notes.append(tr("Japanese names are drawn as boxes: no Japanese font is installed on "
                        "the server; install Debian's {package} (scripts/install_fonts.sh) or "
                        "fonts-noto-cjk and make the picture again.").format(
                            package=JAPANESE_FONT_PACKAGE))
    if others:
        shown = " ".join(others[:10]) + (" …" if len(others) > 10 else "")
        notes.append(ntr("{count} character of the picture's text has no installed font and "
                         "is drawn as boxes: {characters}.",
                         "{count} characters of the picture's text have no installed font and "
                         "are drawn as boxes: {characters}.", len(others)).format(
                             count=len(others), characters=shown))
    return " ".join(notes)


def is_japanese(character: str) -> bool:
    """Whether ``character`` is kana, a CJK ideograph or Japanese punctuation (full- or
    half-width).

    >>> [is_japanese(c) for c in "住ひカｶ、A"]
    [True, True, True, True, True, False]
    """
    code = ord(character)
    return any(low <= code <= high for low, high in _JAPANESE_BLOCKS)


_JAPANESE_BLOCKS = (
    (0x3000, 0x30FF),  # CJK punctuation, hiragana, katakana
    (0x31F0, 0x31FF),  # katakana phonetic extensions
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF00, 0xFFEF),  # full-width forms and half-width katakana
    (0x20000, 0x2FA1F),  # CJK extensions B to F, compatibility supplement
)


def short_name(name: str, limit: int = 30) -> str:
    """A site's name for its label: a parenthesis dropped when the name is too long, then
    cut after a whole word with "…".

    >>> short_name("McDermitt Lithium Project (McDermitt Exploration Project)")
    'McDermitt Lithium Project'
    >>> short_name("Mountain Pass Rare Earth Mine and Processing Facility")
    'Mountain Pass Rare Earth Mine…'
    >>> short_name("Minamitorishimarareearthmudtestmining", 12)
    'Minamitoris…'
    """
    name = " ".join(name.split())
    if len(name) <= limit:
        return name
    plain = " ".join(re.sub(r"\([^)]*\)", " ", name).split())
    if plain and len(plain) <= limit:
        return plain
    text = plain or name
    head = text[:limit]  # a space at its end means the word before it is whole
    cut = head.rsplit(" ", 1)[0] if " " in head else text[:limit - 1]
    return cut.rstrip(" ,;:-–") + "…"


@lru_cache(maxsize=16)
def _font(path: str | None, size: int) -> Font:
    if path is None:
        return ImageFont.load_default(size=size)
    return ImageFont.truetype(path, size)


@lru_cache(maxsize=8192)
def _has(path: str | None, size: int, character: str) -> bool:
    font = _font(path, size)
    try:
        drawn = font.getmask(character)
    except UnicodeEncodeError:  # a bitmap font (Pillow without FreeType): Latin-1 only
        return False
    missing = font.getmask(_NO_SUCH_CHARACTER)
    return bool(drawn.size != missing.size or bytes(drawn) != bytes(missing))
