from django.core.management.base import BaseCommand, CommandError

from stories import audit, publishing


class Command(BaseCommand):
    help = (
        "Publish every scheduled story whose time has passed. Safe to run from cron every "
        "minute: a story is published once, and running it again does nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--as", dest="username", help="Publish as this user (default: the system user)."
        )

    def handle(self, *args, username=None, **options):
        try:
            user = audit.user_by_username(username)
        except LookupError as error:
            raise CommandError(str(error)) from None
        with audit.acting_as(user):
            run = publishing.publish_due(user=user)
        for revision in run.published:
            self.stdout.write(f"published {revision.story.slug} (version {revision.number})")
        for story, message in run.failed:
            self.stderr.write(f"not published {story.slug}: {message}")
        for story in run.changed:
            self.stderr.write(
                f"not published {story.slug}: changed after scheduling, review and schedule again "
                f"(approved edit {story.scheduled_edit or 'unknown'}, "
                f"the working copy is now at edit {story.edit_number})"
            )
        if not (run.published or run.failed or run.changed):
            self.stdout.write("nothing due")
        if not run.ok:
            held = len(run.failed) + len(run.changed)
            raise CommandError(f"{held} scheduled stories could not be published")
