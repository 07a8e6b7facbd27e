"""Record the address each request came in on, for absolute links (``stories.addresses``).

Used only when ``PUBLICATION_URL`` is unset (development and the demo): production
builds every absolute link from the setting, whatever host a request names. The host
has passed ``ALLOWED_HOSTS`` by then (``build_absolute_uri`` validates it).
"""

from stories import addresses


class SiteRootMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with addresses.serving(request.build_absolute_uri("/")):
            return self.get_response(request)
