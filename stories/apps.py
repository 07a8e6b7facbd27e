from django.apps import AppConfig
from django.conf import settings
from django.core.signals import request_finished
from django.db.models.signals import post_migrate, pre_delete, pre_migrate


class StoriesConfig(AppConfig):
    name = "stories"
    verbose_name = "Stories"

    def ready(self):
        from simple_history.signals import pre_create_historical_record

        import newsroom.checks  # noqa: F401  (registers the project's system checks)
        from stories.desk import notifications
        from stories.partners import delivery
        from stories.record import append_only, audit_chain, privileges, removal, signer

        from . import accounts, audit, publishing

        # After every migrate: the public record's tables are append-only (append_only.py).
        post_migrate.connect(
            append_only.reinstall_after_migrate,
            sender=self,
            dispatch_uid="stories.record.append_only.reinstall",
        )
        # Least privilege (privileges.py): a migrate on the owner's connection runs there
        # entirely, and leaves the application's role its data rights on every table.
        pre_migrate.connect(
            privileges.owner_during_migrate,
            sender=self,
            dispatch_uid="stories.record.privileges.owner_during_migrate",
        )
        post_migrate.connect(
            privileges.grant_after_migrate,
            sender=self,
            dispatch_uid="stories.record.privileges.grant",
        )
        # Each audit row is chained to the one before it in its table (audit_chain.py).
        pre_create_historical_record.connect(
            audit_chain.chain_new_row, dispatch_uid="stories.record.audit_chain.chain_new_row"
        )
        # The audit trail names people for ever: their accounts are deactivated, not deleted.
        pre_delete.connect(
            audit.refuse_deleting_people_in_the_record,
            sender=settings.AUTH_USER_MODEL,
            dispatch_uid="stories.audit.keep_people_in_the_record",
        )
        # Logins, failed logins and changes of permissions go into the audit trail.
        accounts.connect()
        # A refused signing is announced to the desk once the request's transactions
        # are over (stories/record/signer.py).
        request_finished.connect(
            signer.announce_pending, dispatch_uid="stories.record.signer.announce"
        )
        # Partners' webhooks: each new version, and each legal removal, writes its
        # messages inside the same transaction (the outbox), sent once it commits.
        publishing.revision_recorded.connect(
            delivery.on_revision_recorded, dispatch_uid="stories.partners.delivery.versions"
        )
        removal.content_removal_recorded.connect(
            delivery.on_content_removal_recorded,
            dispatch_uid="stories.partners.delivery.removals",
        )
        # The desk: a story's watchers hear when it is published.
        publishing.revision_published.connect(
            notifications.on_revision_published,
            dispatch_uid="stories.desk.notifications.on_revision_published",
        )
