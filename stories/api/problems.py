"""Errors as RFC 9457 problem details (``application/problem+json``).

Every problem is of type ``about:blank``: its ``title`` is the HTTP status phrase and
its ``status`` the code, as RFC 9457 asks of that type; ``detail`` says what was wrong
with this request (naming the parameter), ``instance`` is the path, and a request whose
parameters failed validation lists them in ``errors``.
"""

from __future__ import annotations

import json
from http import HTTPStatus

from django.http import HttpResponse

PROBLEM = "application/problem+json"


def problem(
    request, status: int, detail: str, *, errors: list | None = None, headers=None
) -> HttpResponse:
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    if errors is not None:
        body["errors"] = errors
    response = HttpResponse(json.dumps(body), status=status, content_type=PROBLEM)
    # Never kept by a browser or an edge: the next request may well succeed.
    response["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response[name] = value
    return response
