"""Errors raised while reading third-party layer and table files."""

from domain.errors import InputError


class LayerError(InputError):
    """A layer or table file cannot be read as it is."""


class UnsupportedTable(LayerError, ValueError):
    """A table has no columns that say where its records are."""


class EmptyTable(LayerError, ValueError):
    """A table file is empty, or has a header row and no data rows."""
