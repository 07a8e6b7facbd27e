from django.core.management.base import BaseCommand, CommandError

from stories.record import signer, transparency


class Command(BaseCommand):
    help = (
        "Sign a new head of the transparency log at its current size, so verifiers can tell "
        "a quiet log from a frozen one. Run it from cron, hourly (docs/operations.md); "
        "--enqueue hands it to the background worker instead."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Enqueue it for the worker (make worker) rather than signing here.",
        )

    def handle(self, *args, enqueue=False, **options):
        if enqueue:
            result = transparency.resign_in_worker.enqueue()
            self.stdout.write(f"enqueued for the worker ({result.id})")
            return
        try:
            head = transparency.resign()
        except signer.NotAnExtension as refusal:
            signer.announce_refusals()
            raise CommandError(f"the log's key refused to sign: {refusal}") from None
        if head is None:
            self.stdout.write("nothing to sign: the log is empty")
        else:
            self.stdout.write(
                f"signed tree head {head.size} at {signer.iso_time(head.timestamp)} "
                f"(root {head.root_hash})"
            )
