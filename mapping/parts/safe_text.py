"""Safe text for Streamlit markdown: stored values are shown as they are, never interpreted."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&\"'=^])")


def plain(text: object) -> str:
    r"""Escape every markdown and HTML meaning out of a value.

    >>> plain("<img src=x onerror=alert(1)>")
    '\\<img src\\=x onerror\\=alert\\(1\\)\\>'
    >>> plain(None)
    ''
    """
    if text is None:
        return ""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", str(text)).replace("\n", " ")


def source_links(sources: str) -> list[str]:
    r"""Markdown links for the http(s) URLs in a " ; "-separated source field; other text plain.

    >>> source_links("https://example.org/a b ; USGS table")
    ['[example\\.org](https://example.org/a%20b)', 'USGS table']
    """
    links = []
    for part in (p.strip() for p in re.split(r"\s;\s|\s+;\s*|;\s+", sources or "")):
        if not part:
            continue
        url = urlsplit(part)
        if url.scheme in {"http", "https"} and url.netloc:
            safe = quote(part, safe=":/?&=%#~+,;@!$'*")
            safe = safe.replace("(", "%28").replace(")", "%29").replace("'", "%27")
            links.append(f"[{plain(url.netloc)}]({safe})")
        else:
            links.append(plain(part))
    return links
