"""Template context shared by every reader page."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from stories import addresses

from . import pages


def publication(request):
    return {
        "publication": {
            "name": settings.PUBLICATION_NAME,
            # The site's address (stories.addresses): the setting, else this request's.
            "url": addresses.site_root(),
            "logo": settings.PUBLICATION_LOGO,
            # static/root/favicon.ico, served at the root (WHITENOISE_ROOT), where
            # browsers look for it on every page, the admin's too.
            "favicon": "/favicon.ico",
            "language": settings.PUBLICATION_LANGUAGE,
        },
        # Read (from the cache, until the next publish) only by pages that show the menu.
        "section_links": SimpleLazyObject(pages.cached_section_links),
    }
