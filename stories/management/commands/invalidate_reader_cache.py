from django.core.management.base import BaseCommand

from stories.api import caching as api_caching
from stories.reader import caching


class Command(BaseCommand):
    help = (
        "Make every cached reader page and API answer stale (run after a deploy that "
        "changes templates or the API). Bumps the cache epochs instead of flushing, so a "
        "shared Redis keeps other data."
    )

    def handle(self, *args, **options):
        caching.invalidate_all()
        api_caching.invalidate_all()
        self.stdout.write("Reader pages and API answers will be rendered afresh.")
