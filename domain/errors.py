"""Errors a user can cause; each message says what was wrong and what to do."""


class PermitmapError(Exception):
    """Base class of every error whose message is meant for the user."""


class InputError(PermitmapError, ValueError):
    """A file, parameter or form value the user gave cannot be used as it is."""


class NotFoundError(PermitmapError, LookupError):
    """A record the user asked for does not exist."""
