from django.core.management.base import BaseCommand

from stories.partners import delivery


class Command(BaseCommand):
    help = (
        "Send every webhook message whose next attempt is overdue: those whose task was "
        "lost, or that wait on a task backend that cannot defer (development). Safe to run "
        "from cron every few minutes beside the worker."
    )

    def handle(self, *args, **options):
        count = delivery.deliver_due()
        self.stdout.write(f"{count} webhook message(s) sent for delivery.")
