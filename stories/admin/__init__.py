"""The editors' admin: ModelAdmins, their forms and the audit-trail display.

Thin: saving goes through ``stories.editing``, publishing through ``stories.publishing``.
Importing this package (Django's admin autodiscovery does) registers the ModelAdmins.
"""

from django.conf import settings
from django.contrib import admin

from . import contributors, reader_reports, revisions, sections, stories, users  # noqa: F401  (registration)

# The publication's name, not "Django administration", on every admin page and tab.
admin.site.site_header = f"{settings.PUBLICATION_NAME}: the newsroom"
admin.site.site_title = f"{settings.PUBLICATION_NAME} newsroom"
admin.site.index_title = "Stories, credits and the record"
