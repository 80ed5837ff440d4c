"""The briefing picture's lettering: a font that has the characters to draw (Pillow's own
font, else a font from a Debian package when one is installed; never one fetched from the
internet), and site names shortened to fit a label.

A name with characters no installed font has (Japanese without a CJK font, say) is still
drawn: those characters come out as the font's empty box, never as an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

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
