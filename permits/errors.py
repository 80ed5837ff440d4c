"""The permitting errors: each message says what is wrong and what to do instead."""

from __future__ import annotations

from domain.errors import InputError


class RuleSetError(InputError):
    """A rule-set file cannot be read."""


class EditRefused(InputError):
    """A change breaks a rule of the record (reason missing, inside the lock-out, ...)."""


class DashboardFileError(InputError):
    """A file cannot be read as a Permitting Dashboard export (empty, binary, malformed)."""


class DashboardLayoutError(DashboardFileError):
    """A readable table that lacks the columns of the Permitting Dashboard export."""
