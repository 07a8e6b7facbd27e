from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "stories.api"
    label = "api"
    verbose_name = "Read API"

    def ready(self):
        from stories import editing, publishing
        from stories.record import removal

        from . import caching

        # The reader's cache listens to the same three signals: a publish makes the
        # reader's pages and the API's answers stale together.
        publishing.revision_published.connect(
            caching.on_revision_published, dispatch_uid="stories.api.caching.invalidate"
        )
        removal.content_removed.connect(
            caching.on_content_removed, dispatch_uid="stories.api.caching.invalidate_removed"
        )
        editing.public_profile_changed.connect(
            caching.on_public_profile_changed,
            dispatch_uid="stories.api.caching.invalidate_profiles",
        )
