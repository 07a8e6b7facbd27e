"""Top-level URLs: the admin for editors, health checks for the load balancer, the
reader site for everyone else."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve
from health_check.views import HealthCheckView

from newsroom.health import ReadinessView
from stories.api import urls as api_urls
from stories.reader import views as reader_views

#: Readiness: each database the site uses and the cache, each with its own status
#: (django-health-check; 503 when one is down, newsroom/health.py), and the transparency
#: log's signer (degraded after a refusal). The owner's and the reader's connections reach
#: the default's database: checked once, as "default".
READINESS_CHECKS = [
    *(
        ("health_check.checks.Database", {"alias": alias})
        for alias in settings.DATABASES
        if alias not in ("owner", "reader")
    ),
    ("health_check.checks.Cache", {"alias": "default"}),
    "newsroom.health.LogSigner",
]

urlpatterns = [
    path("admin/", admin.site.urls),
    # Liveness: the process answers (no database, no cache). Readiness: see above.
    path("health/live/", HealthCheckView.as_view(checks=()), name="health-live"),
    path("health/ready/", ReadinessView.as_view(checks=READINESS_CHECKS), name="health-ready"),
    path("sitemap.xml", reader_views.sitemap, name="sitemap"),
    path("sitemap-news.xml", reader_views.news_sitemap, name="sitemap-news"),
    path("robots.txt", reader_views.robots_txt, name="robots"),
    # The read API for partners and apps (docs/partners.md), with its OpenAPI schema.
    path("api/v1/", api_urls.urls),
    path("", include("stories.reader.urls")),
]

# Pictures from the local media folder, on a laptop only (make run, DJANGO_DEBUG): in
# production the application processes never serve media (docs/operations.md).
if settings.SERVE_MEDIA:
    urlpatterns.insert(
        0,
        re_path(
            rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.*)$",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        ),
    )

# Error pages: templates/404.html, 403.html, 500.html and 503.html (styled like the
# reader site; 500 and 503 stand alone, rendered without a request context). A database
# outage is a 503 wherever it is met (newsroom/outages.py).
handler404 = "django.views.defaults.page_not_found"
handler403 = "django.views.defaults.permission_denied"
handler500 = "newsroom.outages.server_error"
