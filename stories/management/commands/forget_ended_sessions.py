from django.core.management import call_command
from django.core.management.base import BaseCommand

from stories import accounts


class Command(BaseCommand):
    help = (
        "Delete expired sessions from the session store (Django's clearsessions), then "
        "forget the staff sessions the admin lists that ended without a logout. Run it "
        "from cron, e.g. daily; a run with nothing ended changes nothing."
    )

    def handle(self, *args, **options):
        call_command("clearsessions")
        count = accounts.forget_ended_sessions()
        self.stdout.write(
            f"forgot {count} staff session{'s' if count != 1 else ''} that ended without a logout"
        )
