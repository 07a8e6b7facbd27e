from django.apps import AppConfig


class StoriesConfig(AppConfig):
    name = "stories"
    verbose_name = "Stories"

    def ready(self):
        from . import caching, publishing

        # A new revision makes the story's cached pages, and every list, stale.
        publishing.revision_published.connect(
            caching.on_revision_published, dispatch_uid="stories.caching.invalidate"
        )
