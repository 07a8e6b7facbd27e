from django.core.management.commands.runserver import Command as RunserverCommand

from stories.management.scheduler import DEMO_INTERVAL, Scheduler


class Command(RunserverCommand):
    help = (
        "The demo's web server (make run): Django's development server, with the "
        "scheduler on a thread of its process, publishing scheduled stories when they "
        "are due. Production runs publish_scheduled from cron beside gunicorn instead."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--publish-every",
            type=float,
            default=DEMO_INTERVAL,
            metavar="SECONDS",
            help=f"How often to publish the stories that are due (default {DEMO_INTERVAL}).",
        )

    def inner_run(self, *args, **options):
        # The process that serves (the reloader's child): the scheduler lives and dies
        # with it, and a reload starts a fresh one with the new code.
        every = options["publish_every"]
        host = f"[{self.addr}]" if self._raw_ipv6 else self.addr
        Scheduler(every=every, say=self._say, site=f"http://{host}:{self.port}").start()
        often = "second" if every == 1 else f"{every:g} seconds"
        self._say(f"Publishing scheduled stories when they are due (every {often}).")
        super().inner_run(*args, **options)

    def _say(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
