from django.core.management.base import BaseCommand, CommandError

from stories import reporting


class Command(BaseCommand):
    help = (
        "Email the corrections desk (NEWSROOM_CORRECTIONS_DESK_EMAIL) one digest of the new "
        "reader reports it has not been told of. Run it from cron, e.g. every hour: each "
        "report is listed once, and a run with nothing new sends nothing."
    )

    def handle(self, *args, **options):
        try:
            count = reporting.send_desk_digest()
        except ValueError as error:
            raise CommandError(str(error)) from None
        if count:
            self.stdout.write(f"sent a digest of {count} new report{'s' if count != 1 else ''}")
        else:
            self.stdout.write("no new reports")
