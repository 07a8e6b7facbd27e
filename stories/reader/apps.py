from django.apps import AppConfig


class ReaderConfig(AppConfig):
    name = "stories.reader"
    label = "reader"
    verbose_name = "Reader site"

    def ready(self):
        from stories import publishing

        from . import caching

        # A new revision makes the story's cached pages, and every list, stale.
        publishing.revision_published.connect(
            caching.on_revision_published, dispatch_uid="stories.reader.caching.invalidate"
        )
