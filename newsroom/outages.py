"""A database that cannot answer gives a 503 with Retry-After, never a 500.

When PostgreSQL is down or hung, a request that needs it fails after the pool's timeout
(``DATABASE_POOL_TIMEOUT``, 2 s; see docs/operations.md) with an ``OperationalError``.
That is not a bug in the page, it is an outage: readers and editors get a plain page
saying so, with ``Retry-After``, and the log one line instead of a traceback per
request. Cached reader pages never get here: they are served without the database
(``stories.reader.caching``).

``DatabaseUnavailableMiddleware`` catches the error raised by a view (or by rendering its
template); ``server_error``, the project's ``handler500``, does the same for one raised
in a middleware (the session or the user being read outside the view).
"""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader
from django.views import defaults

logger = logging.getLogger(__name__)

#: Seconds a client is asked to wait before trying again.
RETRY_AFTER = 30
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


def unavailable_response() -> HttpResponse:
    """The 503 page: rendered without a request context, so nothing in it needs the
    database (no user, no section menu)."""
    response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_UNAVAILABLE):
            logger.warning(
                "Database unavailable, answering 503 to %s %s: %s",
                request.method,
                request.path,
                " ".join(str(exception).split()),
            )
            return unavailable_response()
        return None


def server_error(request, *args, **kwargs):
    """``handler500``: a database outage met outside a view is a 503 too."""
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        return unavailable_response()
    response = defaults.server_error(request, *args, **kwargs)
    # An error is never kept as the page, by an edge, a CDN or a browser.
    response["Cache-Control"] = "no-store"
    return response
