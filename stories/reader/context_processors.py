"""Template context shared by every reader page."""

from django.conf import settings


def publication(request):
    return {
        "publication": {
            "name": settings.PUBLICATION_NAME,
            "url": settings.PUBLICATION_URL,
            "logo": settings.PUBLICATION_LOGO,
            "language": settings.PUBLICATION_LANGUAGE,
        }
    }
