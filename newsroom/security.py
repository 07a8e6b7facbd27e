"""The Content-Security-Policy of each part of the site (django-csp).

Reader pages get ``CONTENT_SECURITY_POLICY``: no script at all (the JSON-LD block is
data, which browsers never execute, so it needs no permission), styles and images from
the site only. The admin runs Django's own scripts from the site, so it gets
``ADMIN_CONTENT_SECURITY_POLICY``; Django 5.2's admin needs no inline script or style,
so neither allows them. django-csp's documented extension point, ``get_policy_parts``,
picks the policy by path.
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
