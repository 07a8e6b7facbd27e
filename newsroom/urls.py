"""Top-level URLs: the admin for editors, the reader site for everyone else."""

from django.contrib import admin
from django.urls import include, path

from stories.reader import views as reader_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("sitemap.xml", reader_views.sitemap, name="sitemap"),
    path("sitemap-news.xml", reader_views.news_sitemap, name="sitemap-news"),
    path("robots.txt", reader_views.robots_txt, name="robots"),
    path("", include("stories.reader.urls")),
]

# Error pages: templates/404.html, 403.html and 500.html (styled like the reader site;
# 500.html stands alone, since it is rendered without a request context).
handler404 = "django.views.defaults.page_not_found"
handler403 = "django.views.defaults.permission_denied"
handler500 = "django.views.defaults.server_error"
