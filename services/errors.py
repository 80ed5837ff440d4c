"""Errors of the work that joins the store and the rest."""

from domain.errors import InputError


class PublishRefused(InputError):
    """The pre-flight found errors; the message lists them."""
