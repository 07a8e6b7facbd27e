"""Project-wide middleware: HEAD answers without a body, and requests carrying NUL refused.

``RejectNulCharactersMiddleware``: PostgreSQL rejects NUL in text, so a crafted cookie,
query string or form field would otherwise surface as a database error (a 500) wherever
Django passes the value on unchecked: the session lookup, admin list filters. No browser
sends NUL; a 400 says so (as an RFC 9457 problem on the API, whose errors all are).
"""

from django.http import HttpResponseBadRequest

from stories.api.problems import problem


class HeadWithoutBodyMiddleware:
    """Answer HEAD as HTTP says: the headers a GET would get, and no body.

    Django runs the GET view for a HEAD request and leaves the body in the response (its
    test client drops it, a WSGI server may not: gunicorn logs "WSGI app sent body bytes
    on a no-body response"), and the reader cache rebuilds answers with their stored
    body. Outermost in MIDDLEWARE, so it sees every answer, cached or not; the
    Content-Length stays the GET's.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method == "HEAD":
            if response.streaming:
                response.streaming_content = []
            else:
                length = len(response.content)
                response.content = b""
                response["Content-Length"] = str(length)
        return response


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
            if request.path.startswith("/api/"):
                return problem(request, 400, "The request contains a NUL character.")
            return HttpResponseBadRequest(
                "The request contains a NUL character, which no page accepts.",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
