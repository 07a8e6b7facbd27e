"""The editors' admin: ModelAdmins, their forms and the audit-trail display.

Thin: saving goes through ``stories.editing``, publishing through ``stories.publishing``.
Importing this package registers the ModelAdmins (Django's admin autodiscovery does).
"""

from . import stories  # noqa: F401  (registers the ModelAdmins)
