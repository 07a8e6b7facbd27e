from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from stories import audit
from stories.interchange import importing
from stories.interchange.importing import ImportStatus


class Command(BaseCommand):
    help = (
        "Import plain-text stories (headline on the first line, one paragraph per line, "
        "contributor taglines and notes at the foot) as drafts, or published with --publish. "
        "Importing the same file again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help="Story files to import.")
        parser.add_argument(
            "--section",
            metavar="SLUG",
            help=f"Section for the stories (default: {importing.DEFAULT_SECTION_NAME!r}, created on first use).",
        )
        parser.add_argument(
            "--publish",
            action="store_true",
            help="Publish each story: version 1, then one version per note in the file.",
        )
        parser.add_argument(
            "--as",
            dest="username",
            metavar="USERNAME",
            help="Import as this user (default: the system user).",
        )

    def handle(self, *args, paths, section=None, publish=False, username=None, **options):
        try:
            user = audit.user_by_username(username)
            target = importing.find_section(section) if section else None
        except LookupError as error:
            raise CommandError(str(error)) from None

        counts = Counter()
        results = importing.import_files(paths, user=user, section=target, publish=publish)
        # The bar goes to stderr and only to a terminal (disable=None); result lines always print.
        with tqdm(
            total=len(paths),
            desc="Importing",
            unit="file",
            file=_PartialLines(self.stderr),
            disable=None if len(paths) > 1 else True,
            leave=False,
        ) as bar:
            for result in results:
                counts[result.status] += 1
                bar.clear()
                (self.stderr if result.failed else self.stdout).write(result.line())
                bar.update()
                bar.refresh()

        summary = ", ".join(
            f"{counts[status]} {status}" for status in ImportStatus if counts[status]
        )
        files = "1 file" if len(paths) == 1 else f"{len(paths)} files"
        self.stdout.write(f"{files}: {summary}")
        if counts[ImportStatus.FAILED]:
            raise CommandError(
                f"{counts[ImportStatus.FAILED]} of {len(paths)} files could not be imported"
            )


class _PartialLines:
    """tqdm redraws its bar on one line: pass its writes through as they are, without the
    line ending and error colour that Django's stderr wrapper adds to each write."""

    def __init__(self, wrapper):
        self.wrapper = wrapper

    def write(self, text):
        self.wrapper.write(text, style_func=str, ending="")

    def flush(self):
        self.wrapper.flush()

    def isatty(self):
        return self.wrapper.isatty()
