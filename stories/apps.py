from django.apps import AppConfig
from django.db.models.signals import post_migrate


class StoriesConfig(AppConfig):
    name = "stories"
    verbose_name = "Stories"

    def ready(self):
        from . import append_only

        # After every migrate: the public record's tables are append-only (append_only.py).
        post_migrate.connect(
            append_only.reinstall_after_migrate,
            sender=self,
            dispatch_uid="stories.append_only.reinstall",
        )
