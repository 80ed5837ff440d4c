"""The one place where errors a user can cause become messages on the page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from domain.errors import PermitmapError


@contextmanager
def show_user_errors() -> Iterator[None]:
    """Show a PermitmapError as a plain message; anything else is a bug and propagates."""
    try:
        yield
    except PermitmapError as exc:
        st.error(str(exc), icon=":material/error:")
