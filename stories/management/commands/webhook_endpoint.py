"""manage.py webhook_endpoint add|list|disable|enable|rotate-secret: partners' webhook
endpoints, for operators (the admin does the same under Partners)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from stories import audit
from stories.models import WebhookEndpoint
from stories.partners import delivery, endpoints, events


class Command(BaseCommand):
    help = (
        "Partners' webhook endpoints: add one (printing its signing secret once), list them, "
        "disable or enable one, or rotate its secret (the old one keeps signing for "
        "NEWSROOM_WEBHOOK_SECRET_OVERLAP_HOURS)."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        add = actions.add_parser("add", help="Add an endpoint and print its signing secret.")
        add.add_argument("url")
        add.add_argument(
            "--events",
            nargs="+",
            default=[],
            metavar="EVENT",
            help=f"Events wanted (default: all but story.minor_edit): {', '.join(events.EVENT_TYPES)}.",
        )
        add.add_argument("--name", default="", help="The partner's name.")
        add.add_argument("--contact", default="", help="Email told when the endpoint is disabled.")
        actions.add_parser("list", help="List the endpoints and their health.")
        for name, text in (
            ("disable", "Stop delivering to an endpoint."),
            ("enable", "Deliver to a disabled endpoint again."),
            ("rotate-secret", "Give an endpoint a new signing secret and print it."),
        ):
            actions.add_parser(name, help=text).add_argument("id", type=int)
        for action in actions.choices.values():
            action.add_argument(
                "--as", dest="username", help="Act as this user (default: the system user)."
            )

    def handle(self, *args, action, username=None, **options):
        try:
            user = audit.user_by_username(username)
        except LookupError as error:
            raise CommandError(str(error)) from None
        with audit.acting_as(user):
            try:
                getattr(self, action.replace("-", "_"))(user=user, **options)
            except ValidationError as error:
                raise CommandError(_describe(error)) from None

    def add(self, *, user, url, events, name, contact, **options):
        endpoint = endpoints.add_endpoint(
            url=url, name=name, event_types=events, contact=contact, user=user
        )
        self.stdout.write(f"Added endpoint {endpoint.pk}: {endpoint.url}")
        self.stdout.write(f"Events: {', '.join(events_of(endpoint))}")
        self.stdout.write(f"Signing secret (shown once; give it to the partner): {endpoint.secret}")

    def list(self, *, user, **options):
        found = WebhookEndpoint.objects.order_by("pk")
        if not found:
            self.stdout.write("No webhook endpoints.")
        for endpoint in found:
            state = "active" if endpoint.active else f"disabled ({endpoint.disabled_reason})"
            health = delivery.health(endpoint)
            self.stdout.write(
                f"{endpoint.pk}  {endpoint.url}  {endpoint.name}  {state}\n"
                f"    events: {', '.join(events_of(endpoint))}\n"
                f"    last 7 days: {health.delivered} delivered, {health.failed} failed, "
                f"{health.pending} pending; {health.summary}"
            )

    def disable(self, *, user, id, **options):
        endpoint = _endpoint(id)
        if endpoints.disable(endpoint, reason="disabled by an operator", user=user):
            self.stdout.write(f"Disabled endpoint {id}: {endpoint.url}")
        else:
            self.stdout.write(f"Endpoint {id} was already disabled.")

    def enable(self, *, user, id, **options):
        endpoint = _endpoint(id)
        if endpoints.enable(endpoint, user=user):
            self.stdout.write(f"Enabled endpoint {id}: {endpoint.url}")
        else:
            self.stdout.write(f"Endpoint {id} was already active.")

    def rotate_secret(self, *, user, id, **options):
        endpoint = _endpoint(id)
        secret = endpoints.rotate_secret(endpoint, user=user)
        self.stdout.write(f"New signing secret for endpoint {id} (shown once): {secret}")
        self.stdout.write(
            f"The previous secret keeps signing until {endpoint.previous_secret_until:%Y-%m-%d %H:%M} UTC."
        )


def events_of(endpoint) -> tuple[str, ...]:
    return events.wanted(endpoint.event_types)


def _endpoint(pk: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(pk=pk).first()
    if endpoint is None:
        raise CommandError(
            f"There is no webhook endpoint {pk} (see: manage.py webhook_endpoint list)."
        )
    return endpoint


def _describe(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return "; ".join(
            f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()
        )
    return " ".join(error.messages)
