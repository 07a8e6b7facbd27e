from django.core.management.base import BaseCommand

from stories.api import caching as api_caching
from stories.edge import keys, purging
from stories.reader import caching


class Command(BaseCommand):
    help = (
        "Make every cached reader page and API answer stale (run after a deploy that "
        "changes templates or the API): in the server cache (by bumping the epochs, so a "
        "shared Redis keeps other data) and on every edge in NEWSROOM_EDGE_PURGE_URLS (a "
        "soft purge, sent by the worker)."
    )

    def handle(self, *args, **options):
        caching.invalidate_all()
        api_caching.invalidate_all()
        edges = purging.purge({keys.SITE})
        self.stdout.write(
            "Reader pages and API answers will be rendered afresh"
            + (f"; every page purged on {edges} edge(s) by the worker." if edges else ".")
        )
