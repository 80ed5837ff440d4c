"""Errors raised by the store."""

from domain.errors import InputError, PermitmapError


class StoreError(PermitmapError):
    """The database cannot be used as configured."""


class SeedDataError(StoreError, InputError):
    """A bundled data file does not have the expected shape."""


class EditConflict(InputError):
    """Someone else saved the same record since the editor opened it."""


class DuplicateUpload(InputError):
    """The same file (same checksum) was published before."""
