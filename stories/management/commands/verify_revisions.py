from django.core.management.base import BaseCommand, CommandError

from stories.integrity import verify_story
from stories.models import Story


class Command(BaseCommand):
    help = "Check every story's published revisions against their hash chain."

    def handle(self, *args, **options):
        broken = 0
        stories = Story.objects.filter(latest_revision__isnull=False).order_by("slug")
        for story in stories.iterator():
            for problem in verify_story(story):
                broken += 1
                self.stderr.write(f"{story.slug}: {problem}")
        if broken:
            raise CommandError(f"{broken} problems found")
        self.stdout.write(f"{stories.count()} stories verified")
