from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from stories.management.demo import DEMO_PASSWORD, DEMO_USERS, load_demo
from stories.models import Review
from stories.roles import EDITOR, REPORTER

ROLE_SUMMARIES = {
    EDITOR: "editor: drafts, publishes and withdraws",
    REPORTER: "reporter: drafts only",
}


class Command(BaseCommand):
    help = "Load the demo newsroom (make run). Only in demo mode: it creates logins with a known password."

    def handle(self, *args, **options):
        if not settings.DEMO_MODE:
            raise CommandError(
                "load_demo creates logins with a known password; it runs only with NEWSROOM_DEMO=1."
            )
        stories = load_demo()
        if stories:
            self.stdout.write(f"Loaded {len(stories)} demo stories.")
        else:
            self.stdout.write("Demo content already loaded.")
        self.stdout.write(self.style.SUCCESS("Demo logins for the admin (/admin/):"))
        for username, _, _, role in DEMO_USERS:
            self.stdout.write(f"  {username} / {DEMO_PASSWORD}  ({ROLE_SUMMARIES[role]})")
        waiting = Review.objects.open().count()
        self.stdout.write(
            f"Two people check everything readers see: {waiting} story waits in review, with "
            "comments, in the desk's queue (/admin/stories/review/). editor2 is a second "
            "editor: log in as editor2 to approve what editor or reporter wrote, then publish "
            "it as editor."
        )
        self.stdout.write(
            "A second factor is optional here (production requires it of editors): set one up "
            "from the admin's user links, Two-factor authentication (/admin/second-factor/)."
        )
