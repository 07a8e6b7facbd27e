"""The site's own fixed addresses that middleware compares every request with.

``reverse()`` walks the URL configuration each time it is called, and three such calls
(the admin's root twice, the API docs' page once) cost a cached reader page about a
fifth of its time in process. These addresses change only with the URL configuration or
the script prefix the site is mounted under, so each is reversed once per pair.
"""

from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse


def path_of(name: str) -> str:
    """``reverse(name)`` for a URL without arguments, remembered per configuration."""
    return _reversed(name, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())


@lru_cache(maxsize=32)
def _reversed(name: str, urlconf: str, script_prefix: str) -> str:
    return reverse(name, urlconf=urlconf)


def is_admin(request) -> bool:
    # ``request.path``, not ``path_info``: both it and ``reverse()`` carry the prefix of a
    # site mounted below the root (SCRIPT_NAME).
    return request.path.startswith(path_of("admin:index"))
