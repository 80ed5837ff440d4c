"""The "working on it" line a page shows while a slow cached figure is worked out.

Streamlit's cache decorators take that text when the module loads, so it could not follow the
page's language; :func:`loading` shows it from the page run instead. ``st.spinner`` waits half
a second before it appears, so an answer already cached never flashes it. The same cached
functions also serve the HTTP routes, which have no page to show it on.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from domain.i18n import tr


def loading(message: str) -> AbstractContextManager[object]:
    """A spinner saying ``message`` (an ``N_`` text) in the page's language, on a page only."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return nullcontext()
    return st.spinner(tr(message))
