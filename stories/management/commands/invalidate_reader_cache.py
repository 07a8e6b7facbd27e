from django.core.management.base import BaseCommand

from stories.reader import caching


class Command(BaseCommand):
    help = (
        "Make every cached reader page stale (run after a deploy that changes templates). "
        "Bumps the cache epoch instead of flushing, so a shared Redis keeps other data."
    )

    def handle(self, *args, **options):
        caching.invalidate_all()
        self.stdout.write("Reader pages will be rendered afresh.")
