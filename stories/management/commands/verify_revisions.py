from django.core.management.base import BaseCommand, CommandError

from stories.models import LogLeaf, Story
from stories.record import audit_chain, transparency


class Command(BaseCommand):
    help = (
        "Check the public record: every story that has any published version (whatever its "
        "pointer says) against its hashes, numbering and chain, and the transparency log "
        "against its leaves, stored subtrees and signed tree heads; and the audit trail's "
        "chain (every row rewritten or deleted is reported; legal removals are listed)."
    )

    def handle(self, *args, **options):
        problems = transparency.verify_site()
        audit = audit_chain.verify()
        problems += [("audit trail", problem) for problem in audit.problems]
        for where, problem in problems:
            self.stderr.write(f"{where}: {problem}")
        for note in audit.notes:
            self.stdout.write(f"note: {note}")
        if problems:
            raise CommandError(f"{len(problems)} problems found")
        stories = Story.objects.filter(revisions__isnull=False).distinct().count()
        self.stdout.write(f"{stories} stories verified, {LogLeaf.objects.count()} log entries")
