from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateformat import format as format_time

from stories import addresses
from stories.management.demo import (
    DEMO_API_KEY,
    DEMO_PASSWORD,
    DEMO_USERS,
    SCHEDULE_IN,
    load_demo,
)
from stories.models import Review, ReviewState, Story
from stories.roles import EDITOR, REPORTER

ROLE_SUMMARIES = {
    EDITOR: "editor: drafts, publishes and withdraws",
    REPORTER: "reporter: drafts only",
}


class Command(BaseCommand):
    help = "Load the demo newsroom (make run). Only in demo mode: it creates logins with a known password."

    def add_arguments(self, parser):
        parser.add_argument(
            "--site",
            default="http://127.0.0.1:8000",
            help="The demo's address (make run passes its PORT): for the examples printed, "
            "and the links in the emails the demo's desk sends while loading.",
        )
        parser.add_argument(
            "--schedule-in",
            type=int,
            default=int(SCHEDULE_IN.total_seconds()),
            metavar="SECONDS",
            help="When the demo's scheduled story is due, in seconds from now (default "
            f"{int(SCHEDULE_IN.total_seconds())}).",
        )

    def handle(self, *args, site, schedule_in, **options):
        if not settings.DEMO_MODE:
            raise CommandError(
                "load_demo creates logins with a known password; it runs only with NEWSROOM_DEMO=1."
            )
        if schedule_in < 1:
            raise CommandError("--schedule-in must be a number of seconds from 1 up.")
        with addresses.serving(site):
            stories = load_demo(schedule_in=timedelta(seconds=schedule_in))
        if stories:
            self.stdout.write(f"Loaded {len(stories)} demo stories.")
        else:
            self.stdout.write("Demo content already loaded.")
        for story in stories:
            if story.is_scheduled:
                due = format_time(timezone.localtime(story.scheduled_at), "g:i:s a T")
                self.stdout.write(
                    f"“{story.headline}” is scheduled for {due}: the demo server publishes it "
                    "then. Watch it appear on the home page."
                )
        self.stdout.write(self.style.SUCCESS("Demo logins for the admin (/admin/):"))
        for username, _, _, role in DEMO_USERS:
            self.stdout.write(f"  {username} / {DEMO_PASSWORD}  ({ROLE_SUMMARIES[role]})")
        waiting = Review.objects.filter(state=ReviewState.IN_REVIEW).count()
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
        self.api_examples(site.rstrip("/"))

    def api_examples(self, site: str):
        """How to call the read API, with the demo partner's key (docs/partners.md)."""
        story = Story.objects.filter(latest_revision__isnull=False).order_by("pk").first()
        self.stdout.write(self.style.SUCCESS("The read API for partners (docs/partners.md):"))
        self.stdout.write(f"  docs and schema: {site}/api/v1/docs  {site}/api/v1/openapi.json")
        self.stdout.write(f"  curl {site}/api/v1/stories")
        if story is not None:
            self.stdout.write(
                f"  curl -H 'Authorization: Bearer {DEMO_API_KEY}' "
                f"{site}/api/v1/stories/{story.public_id}/ninjs"
            )
        self.stdout.write(
            f"  demo partner key: {DEMO_API_KEY} (a higher rate limit; the admin makes real ones)"
        )
        self.stdout.write(
            "  webhooks to a receiver on this machine (the one in docs/partners.md listens on "
            "8500): .venv/bin/python manage.py webhook_endpoint add http://127.0.0.1:8500/hooks"
        )
