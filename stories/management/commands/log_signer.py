from django.core.management.base import BaseCommand, CommandError

from stories.record import signer, transparency


class Command(BaseCommand):
    help = (
        "The transparency log's signer and its record, kept outside the database "
        "(NEWSROOM_LOG_SIGNER_STATE): show it, acknowledge refusals once looked into, or "
        "adopt the database's log as the signer's own (docs/transparency.md)."
    )

    def add_arguments(self, parser):
        action = parser.add_mutually_exclusive_group()
        action.add_argument(
            "--acknowledge",
            action="store_true",
            help="The refusals have been looked into: /health/ready/ is no longer degraded.",
        )
        action.add_argument(
            "--adopt",
            action="store_true",
            help=(
                "Record the database's newest tree head as the last one the key signed "
                "(a site upgraded to the signer's record, or a log restored on purpose). "
                "Refused while verify_revisions finds the log itself broken."
            ),
        )

    def handle(self, *args, acknowledge=False, adopt=False, **options):
        try:
            if acknowledge:
                self.stdout.write(f"{signer.acknowledge()} refusal(s) acknowledged")
            elif adopt:
                self._adopt()
            record = signer.read_record()
        except signer.SignerRecordUnreadable as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"record: {signer.state_path()}")
        if record.head is None:
            self.stdout.write("last head signed: none recorded")
        else:
            head = record.head
            self.stdout.write(
                f"last head signed: {head.size} entries at {head.signed_at}, root {head.root.hex()}"
            )
        for refusal in record.refusals:
            state = "acknowledged" if refusal.get("acknowledged") else "NOT ACKNOWLEDGED"
            self.stdout.write(f"refused at {refusal['at']} ({state}): {refusal['problem']}")

    def _adopt(self):
        newest = transparency.latest_head()
        if newest is None:
            raise CommandError("the log has no tree head to adopt: nothing was published")
        broken = transparency.verify_log(check_signer=False)
        if broken:
            for problem in broken:
                self.stderr.write(f"log: {problem}")
            raise CommandError(f"not adopted: the log itself has {len(broken)} problem(s)")
        signer.remember(
            signer.Head(newest.size, bytes.fromhex(newest.root_hash), newest.timestamp),
            replace=True,
        )
        self.stdout.write(f"adopted tree head {newest.size} as the last one the key signed")
