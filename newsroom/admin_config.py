"""Django's admin app, on the newsroom's own admin site (``newsroom.admin_site``): the
site that asks for a second factor. Named by its path so that nothing of ``stories`` is
imported while the apps load."""

from django.contrib.admin.apps import AdminConfig


class NewsroomAdminConfig(AdminConfig):
    default_site = "newsroom.admin_site.NewsroomAdminSite"
