"""Each page in Japanese (``?lang=ja``) in a real Chromium: no English text of the catalog
left on the page or in the map, no Japanese label or button wider than its control at 1440 ×
900 and 1024 × 768, and nothing fetched from outside this machine.

"English left" is read against the catalog itself: any element whose whole text is an English
text of the code that has a different Japanese translation. Data (site names, vocabulary
codes) is not in the catalog and is not judged here.
Fixtures: ``tests/browser/conftest.py``.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Frame, Page, expect

from domain.i18n import language, tr
from mapping.catalogs import extract
from tests.browser.conftest import APP_IDLE, MAP_IFRAME, is_local, recorded_context_page

pytestmark = pytest.mark.browser

PAGES = ["/", "/timeline?site=us-alpha", "/portfolio", "/alerts", "/chokepoints",
         "/crosswalk", "/layers", "/upload", "/data"]
WINDOWS = [(1440, 900), (1024, 768)]

# The text of every visible leaf element (and of a label's or button's own text): what a
# person reads (not a table's hidden copy for screen readers, nor a folded expander).
TEXTS_JS = """() => Array.from(document.querySelectorAll('body *'))
  .filter(e => e.children.length === 0 || ['BUTTON','LABEL','SUMMARY','P'].includes(e.tagName))
  .filter(e => e.checkVisibility())
  .map(e => (e.innerText || e.textContent || '').trim()).filter(t => t.length > 0)"""
# Controls whose text runs past their box: [text, scrollWidth, clientWidth].
OVERFLOW_JS = """() => Array.from(document.querySelectorAll(
    'button, label, [data-testid="stMarkdownContainer"] p, summary'))
  .filter(e => e.offsetParent !== null && e.clientWidth > 0
               && e.scrollWidth > e.clientWidth + 1
               && getComputedStyle(e).overflow !== 'hidden'
               && getComputedStyle(e).textOverflow !== 'ellipsis')
  .map(e => [e.innerText.trim().slice(0, 60), e.scrollWidth, e.clientWidth])"""


def _english_left(texts: list[str]) -> list[str]:
    """The texts that are an English text of the catalog with another Japanese one."""
    english = {}
    with language("ja"):
        for message in extract():
            text = message.id if isinstance(message.id, str) else ""
            if len(text) > 2 and "{" not in text and tr(text) != text:
                english[text] = tr(text)
    return sorted({t for t in texts if t in english})


def _settled(page: Page) -> Frame | None:
    """The page once its script is done, and the map's frame when it has a map."""
    page.wait_for_selector(APP_IDLE)
    page.wait_for_timeout(1500)  # the map's own scripts draw after the page is idle
    page.wait_for_selector(APP_IDLE)
    if not page.locator(MAP_IFRAME).count():
        return None
    handle = page.locator(MAP_IFRAME).first.element_handle()
    return None if handle is None else handle.content_frame()


@pytest.mark.parametrize("path", PAGES)
def test_a_page_in_japanese_has_no_english_left_and_nothing_overflows(
        browser: Browser, app_url: str, request: pytest.FixtureRequest, path: str) -> None:
    joiner = "&" if "?" in path else "?"
    url = f"{app_url}{path}{joiner}lang=ja"
    for width, height in WINDOWS:
        with recorded_context_page(browser, url, request, width, height) as recorded:
            page = recorded.page
            page.goto(url)
            expect(page.get_by_text("日本語", exact=True)).to_be_visible()
            frame = _settled(page)
            texts = page.evaluate(TEXTS_JS)
            if frame is not None:
                texts += frame.evaluate(TEXTS_JS)
            assert _english_left(texts) == [], f"{path} at {width}×{height}"
            assert page.evaluate(OVERFLOW_JS) == [], f"{path} at {width}×{height}"
            assert [u for u in recorded.requests if not is_local(u)] == []
            assert recorded.page_errors == []
