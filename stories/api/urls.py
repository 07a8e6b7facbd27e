"""The API's URLs, namespace ``api``: ``newsroom/urls.py`` mounts ``urls`` at ``/api/v1/``.

django-ninja answers the methods an operation declares (GET here). Every view is wrapped
so that HEAD is answered as the GET it asks about (``HeadWithoutBodyMiddleware`` then
drops the body), as Django's ``require_safe`` does for reader pages, and any other method
gets a 405 problem (RFC 9457) naming the allowed ones, like every other API error.
"""

from functools import wraps

from .problems import problem
from .views import api


def safe_methods(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        head = request.method == "HEAD"
        if head:
            request.method = "GET"
        try:
            response = view(request, *args, **kwargs)
        finally:
            if head:
                request.method = "HEAD"
        if response.status_code == 405:
            return problem(
                request,
                405,
                f"{request.method} is not answered here: the API is read-only (GET, HEAD).",
                headers={"Allow": "GET, HEAD"},
            )
        return response

    return wrapper


patterns, app_name, namespace = api.urls
for pattern in patterns:
    pattern.callback = safe_methods(pattern.callback)

#: (patterns, app name, namespace), as ``path()`` takes it.
urls = (patterns, app_name, namespace)
