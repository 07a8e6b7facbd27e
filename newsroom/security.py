"""The Content-Security-Policy of each part of the site (django-csp).

Reader pages get ``CONTENT_SECURITY_POLICY``: scripts, styles and images from the site
only, nothing inline (the JSON-LD block is data, which browsers never execute, so it
needs no permission). The admin runs Django's own scripts from the site and its
autocomplete asks the site for contributors, so it gets ``ADMIN_CONTENT_SECURITY_POLICY``
(``connect-src 'self'`` too); Django 5.2's admin needs no inline script or style, so
neither allows them. django-csp's documented extension point, ``get_policy_parts``,
picks the policy by path.

A page that asks nothing of its own (no nonce, no per-view decorator, the usual case) gets
the same header on every answer, so each policy's header is built once per process rather
than on every request: building it cost a cached reader page a sixth of its time. Any
other answer goes through django-csp's own code. ``tests/e2e/test_content_security.py`` loads every page that
runs a script in Chromium and fails on any violation the browser reports.
"""

from __future__ import annotations

from csp.constants import HEADER
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from newsroom.site_paths import is_admin, path_of

#: What a view or the request may set to change its own policy (django-csp's decorators
#: and ``request.csp_nonce``): an answer with any of them is left to django-csp.
_OWN_POLICY_ATTRIBUTES = tuple(
    f"_csp_{name}{suffix}"
    for name in ("config", "update", "replace", "exempt")
    for suffix in ("", "_ro")
)
#: Settings that change how django-csp builds a header, or whether it sets one.
_POLICY_SETTINGS = frozenset(
    {
        "CONTENT_SECURITY_POLICY",
        "CONTENT_SECURITY_POLICY_REPORT_ONLY",
        "ADMIN_CONTENT_SECURITY_POLICY",
        "DEBUG",
    }
)
_built_headers: dict[bool, str] = {}


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if not report_only and parts.config is None and _wants_admin_policy(request):
            parts.config = settings.ADMIN_CONTENT_SECURITY_POLICY["DIRECTIVES"]
        return parts

    def process_response(self, request, response):
        if not _plain(request, response):
            return super().process_response(request, response)
        admin = _wants_admin_policy(request)
        if admin not in _built_headers:
            parts = self.get_policy_parts(request, response)
            _built_headers[admin] = build_policy(config=parts.config)
        response[HEADER] = _built_headers[admin]
        # As django-csp does: a nonce asked for after the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response


def _plain(request, response) -> bool:
    """Whether the answer gets the part's policy exactly as configured, and nothing else."""
    policy = getattr(settings, "CONTENT_SECURITY_POLICY", None)
    return (
        bool(policy)
        and not policy.get("EXCLUDE_URL_PREFIXES")
        and not getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
        and getattr(request, "_csp_nonce", None) is None
        and HEADER not in response
        and not any(hasattr(response, name) for name in _OWN_POLICY_ATTRIBUTES)
        and not (settings.DEBUG and response.status_code in (404, 500))
    )


def _wants_admin_policy(request) -> bool:
    return is_admin(request) or is_api_docs(request)


@receiver(setting_changed)
def _forget_built_headers(*, setting, **kwargs):
    if setting in _POLICY_SETTINGS:
        _built_headers.clear()


def is_api_docs(request) -> bool:
    """The API's docs page runs django-ninja's Swagger UI from the site's static files,
    and reads the schema from the site: the admin's policy fits it."""
    return request.path == path_of("api:openapi-view")
