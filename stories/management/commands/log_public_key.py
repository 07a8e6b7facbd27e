from django.core.management.base import BaseCommand

from stories.record import signing, transparency


class Command(BaseCommand):
    help = (
        "Print the public key that signs the transparency log's tree heads (Ed25519, hex): "
        "what readers' verifiers check the site against (docs/transparency.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--tree-head",
            action="store_true",
            help="Also print the latest signed tree head.",
        )

    def handle(self, *args, tree_head=False, **options):
        self.stdout.write(signing.public_key_hex())
        if tree_head:
            head = transparency.latest_head()
            if head is None:
                self.stdout.write("no tree head yet: nothing has been published")
            else:
                self.stdout.write(
                    f"tree head: {head.size} entries, root {head.root_hash}, "
                    f"signed at {head.timestamp} ms"
                )
