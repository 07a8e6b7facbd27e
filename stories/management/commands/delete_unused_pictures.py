from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand

from stories.media import pictures


class Command(BaseCommand):
    help = (
        "Delete the files of pictures that no published version and no working copy uses, "
        "once untouched for NEWSROOM_PICTURE_GRACE_DAYS (uploads for drafts that were never "
        "published). Run it from cron, daily. Uploading the same picture again writes its "
        "files anew (docs/operations.md#media)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"The grace period in days (default: {settings.PICTURE_GRACE_DAYS}).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="List what would be deleted; delete nothing."
        )

    def handle(self, *args, days, dry_run, **options):
        grace = timedelta(days=settings.PICTURE_GRACE_DAYS if days is None else days)
        done = pictures.delete_unused(grace=grace, dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        for picture, names in done:
            self.stdout.write(f"{verb} {len(names)} files of picture {picture.sha256[:12]}")
        files = sum(len(names) for _, names in done)
        self.stdout.write(f"{verb} {files} files of {len(done)} unused pictures")
