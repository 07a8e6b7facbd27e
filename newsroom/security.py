"""The Content-Security-Policy of each part of the site (django-csp).

Reader pages get ``CONTENT_SECURITY_POLICY``: scripts, styles and images from the site
only, nothing inline (the JSON-LD block is data, which browsers never execute, so it
needs no permission). The admin runs Django's own scripts from the site and its
autocomplete asks the site for contributors, so it gets ``ADMIN_CONTENT_SECURITY_POLICY``
(``connect-src 'self'`` too); Django 5.2's admin needs no inline script or style, so
neither allows them. django-csp's documented extension point, ``get_policy_parts``,
picks the policy by path. ``tests/e2e/test_content_security.py`` loads every page that
runs a script in Chromium and fails on any violation the browser reports.
"""

from __future__ import annotations

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.urls import reverse


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if not report_only and parts.config is None and (is_admin(request) or is_api_docs(request)):
            parts.config = settings.ADMIN_CONTENT_SECURITY_POLICY["DIRECTIVES"]
        return parts


def is_admin(request) -> bool:
    return request.path_info.startswith(reverse("admin:index"))


def is_api_docs(request) -> bool:
    """The API's docs page runs django-ninja's Swagger UI from the site's static files,
    and reads the schema from the site: the admin's policy fits it."""
    return request.path_info == reverse("api:openapi-view")
