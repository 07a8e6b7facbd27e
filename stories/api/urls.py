"""The API's URLs, namespace ``api``: ``newsroom/urls.py`` mounts ``urls`` at ``/api/v1/``."""

from .views import api

#: (patterns, app name, namespace), as ``path()`` takes it.
urls = api.urls
