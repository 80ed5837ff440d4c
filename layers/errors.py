"""Errors raised while reading third-party layer and table files."""

from domain.errors import InputError


class LayerError(InputError):
    """A layer or table file cannot be read as it is."""


class UnsupportedTable(LayerError, ValueError):
    """A table has no columns that say where its records are."""


class EmptyTable(LayerError, ValueError):
    """A table file is empty, or has a header row and no data rows."""


class UnsupportedFormat(LayerError, ValueError):
    """An upload is not one of the formats we read, or not what its name says it is."""


class UnsafeFile(LayerError, ValueError):
    """An upload is refused because reading it could reach outside it or exhaust the machine."""


class FileTooLarge(LayerError, ValueError):
    """An upload is over a stated size limit."""


class UnreadableLayer(LayerError, ValueError):
    """An upload is of a known format but its contents are broken."""


class DamagedEntry(UnreadableLayer):
    """A zip entry could not be unpacked (which entry, and zipfile's error)."""

    def __init__(self, entry: str, cause: BaseException) -> None:
        super().__init__(entry)
        self.entry, self.cause = entry, cause
