"""The one HTTP boundary: every error a route raises becomes a JSON response of one shape,
``{"error": sentence, "status": code}``, with the status of the nearest class in
:data:`STATUS_CODES` (as titiler's ``DEFAULT_STATUS_CODES``). Routes hold no try blocks.

>>> from store.errors import SeedDataError
>>> status_of(SeedDataError("sites.csv has no lat column")), status_of(NotFoundError("x"))
(503, 404)
>>> status_of(NotSignedIn("sign in")), status_of(AccessDenied("viewer"))
(401, 403)
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from domain.access import AccessDenied, NotSignedIn
from domain.errors import InputError, NotFoundError, PermitmapError
from domain.i18n import N_, asked_language, language, tr
from store.errors import StoreError

LOG = logging.getLogger(__name__)

STATUS_CODES: dict[type[Exception], int] = {
    StoreError: 503,  # the database cannot be used as configured (a seed-data error too)
    NotFoundError: 404,
    NotSignedIn: 401,  # no session or token (or a bad token): sign in, or send a token
    AccessDenied: 403,  # signed in, but the role does not allow it
    InputError: 400,
    PermitmapError: 400,
}
INTERNAL = N_("The server met an error it did not expect; it has been logged for the "
              "maintainers. Try again, and tell them if it happens again.")  # shown with tr


def status_of(exc: Exception) -> int:
    """The status of the first class in the error's MRO that the table names; else 500."""
    for cls in type(exc).__mro__:
        if cls in STATUS_CODES:
            return STATUS_CODES[cls]
    return 500


def error_response(_request: Request, exc: Exception) -> JSONResponse:
    """A user error as JSON with its status."""
    status = status_of(exc)
    return JSONResponse({"error": str(exc), "status": status}, status_code=status)


def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    """A bug: logged with its traceback for the maintainers, a sentence for the caller."""
    LOG.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    # Outside the routes (Starlette's outermost layer): the language from the URL again.
    with language(asked_language(request.query_params)):
        return JSONResponse({"error": tr(INTERNAL), "status": 500}, status_code=500)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    **{cls: error_response for cls in STATUS_CODES},
    Exception: unexpected_error,
}
"""What the app installs (``st.App(exception_handlers=...)``)."""
