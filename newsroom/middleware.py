"""Refuse requests carrying NUL characters before any code hands them to the database.

PostgreSQL rejects NUL in text, so a crafted cookie, query string or form field would
otherwise surface as a database error (a 500) wherever Django passes the value on
unchecked: the session lookup, admin list filters. No browser sends NUL; a 400 says so.
"""

from django.http import HttpResponseBadRequest

NUL = "\x00"


def _has_nul(querydict) -> bool:
    return any(
        NUL in key or any(NUL in value for value in values) for key, values in querydict.lists()
    )


class RejectNulCharactersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            NUL in request.path
            or _has_nul(request.GET)
            or any(NUL in key or NUL in value for key, value in request.COOKIES.items())
            or (request.method == "POST" and _has_nul(request.POST))
        ):
            return HttpResponseBadRequest(
                "The request contains a NUL character, which no page accepts.",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
