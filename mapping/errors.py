"""Errors of the user interface package itself (page errors come from the packages below)."""

from domain.errors import PermitmapError


class AssetError(PermitmapError):
    """An asset cannot be installed; the message says what to do."""
