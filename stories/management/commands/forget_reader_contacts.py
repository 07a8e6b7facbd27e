from django.conf import settings
from django.core.management.base import BaseCommand

from stories import reporting


class Command(BaseCommand):
    help = (
        "Erase readers' names and emails from closed reports received more than "
        "NEWSROOM_REPORT_CONTACT_RETENTION_DAYS ago (the period the report form promises). "
        "Run it from cron, e.g. daily; a run with nothing due changes nothing."
    )

    def handle(self, *args, **options):
        count = reporting.forget_reader_contacts()
        days = settings.REPORT_CONTACT_RETENTION_DAYS
        self.stdout.write(
            f"erased the contact details of {count} report{'s' if count != 1 else ''} "
            f"closed and older than {days} days"
        )
