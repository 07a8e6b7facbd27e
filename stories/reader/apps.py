from django.apps import AppConfig


class ReaderConfig(AppConfig):
    name = "stories.reader"
    label = "reader"
    verbose_name = "Reader site"

    def ready(self):
        from stories import editing, publishing
        from stories.edge import purging
        from stories.record import removal

        from . import caching

        # A new revision makes the story's cached pages, and every list, stale.
        publishing.revision_published.connect(
            caching.on_revision_published, dispatch_uid="stories.reader.caching.invalidate"
        )
        # A legal removal: the story's pages must forget the removed text at once.
        removal.content_removed.connect(
            caching.on_content_removed, dispatch_uid="stories.reader.caching.invalidate_removed"
        )
        # A section's or contributor's public page changed: their pages and lists are stale.
        editing.public_profile_changed.connect(
            caching.on_public_profile_changed,
            dispatch_uid="stories.reader.caching.invalidate_profiles",
        )
        # The edges in front (stories/edge/): a soft purge of exactly what the change
        # concerns, on every edge, by the worker. Connected after the in-process cache's
        # receivers, so an edge that refetches at once gets the new page from it.
        publishing.revision_published.connect(
            purging.on_revision_published, dispatch_uid="stories.edge.purge_published"
        )
        removal.content_removed.connect(
            purging.on_content_removed, dispatch_uid="stories.edge.purge_removed"
        )
        editing.public_profile_changed.connect(
            purging.on_public_profile_changed, dispatch_uid="stories.edge.purge_profiles"
        )
