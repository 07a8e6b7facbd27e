from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import ProgrammingError

from stories import audit
from stories.models import Story
from stories.record import removal


class Command(BaseCommand):
    help = (
        "Remove the content of published versions for a legal reason (superusers only, run "
        "as the database's owner): from the versions, the audit trail, readers' reports and "
        "the admin's log, and the picture's files from the media storage. The versions keep "
        "their number, time and hash; the story's public history says that their content "
        "was removed, when and why (docs/operations.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The story's slug.")
        parser.add_argument("numbers", nargs="+", type=int, help="The versions to blank.")
        parser.add_argument(
            "--as", dest="username", required=True, help="The superuser responsible."
        )
        parser.add_argument(
            "--note", required=True, help="Shown to readers, e.g. 'Removed by court order.'"
        )
        parser.add_argument(
            "--reason", required=True, help="The legal ground, for the audit trail."
        )

    def handle(self, *args, slug, numbers, username, note, reason, **options):
        story = Story.objects.filter(slug=slug).first()
        if story is None:
            raise CommandError(f"no story with the slug {slug!r}")
        try:
            user = audit.user_by_username(username)
            with audit.acting_as(user):
                removals = removal.remove_content(
                    story, numbers, user=user, public_note=note, internal_reason=reason
                )
        except (LookupError, PermissionDenied) as error:
            raise CommandError(str(error)) from None
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        except ProgrammingError as error:  # the role may not lift the triggers
            raise CommandError(
                "The database refused the removal to this role: run it as the owner of the "
                "tables, with DATABASE_OWNER_URL set (docs/operations.md#database-roles). "
                f"The database said: {' '.join(str(error).split())}"
            ) from None
        done = ", ".join(str(removed.revision.number) for removed in removals)
        self.stdout.write(f"removed the content of {slug} version {done}")
