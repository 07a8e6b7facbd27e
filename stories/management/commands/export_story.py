from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from stories.interchange import exporting
from stories.models import Story


class Command(BaseCommand):
    help = (
        "Export a story with every published version and its full audit trail as JSON "
        "(fields in docs/import-export.md, schema in docs/export-schema.json)."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", metavar="SLUG")
        parser.add_argument(
            "--format", choices=["json"], default="json", help="Output format (json)."
        )
        parser.add_argument(
            "--output", metavar="FILE", help="Write to FILE instead of standard output."
        )

    def handle(self, *args, slug, output=None, **options):
        try:
            story = Story.objects.select_related("section").get(slug=slug)
        except Story.DoesNotExist:
            raise CommandError(f"no story with the slug {slug!r}") from None
        text = exporting.export_story_json(story)
        if output is None:
            self.stdout.write(text)
            return
        try:
            Path(output).write_text(text + "\n", encoding="utf-8")
        except OSError as error:
            raise CommandError(f"cannot write {output}: {error.strerror or error}") from None
        self.stdout.write(f"exported {slug} to {output}")
