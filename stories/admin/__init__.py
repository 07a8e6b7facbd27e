"""The editors' admin: ModelAdmins, their forms and the audit-trail display.

Thin: saving goes through ``stories.editing``, publishing through ``stories.publishing``.
Importing this package (Django's admin autodiscovery does) registers the ModelAdmins.
"""

from . import (  # noqa: F401  (registration)
    contributors,
    desk,
    partners,
    reader_reports,
    revisions,
    sections,
    stories,
    users,
)
