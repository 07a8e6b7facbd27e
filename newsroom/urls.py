"""Top-level URLs: the admin for editors, the reader site for everyone else."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("stories.urls")),
]
