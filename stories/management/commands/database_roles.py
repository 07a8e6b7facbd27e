from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections, transaction

from stories.record import privileges


class Command(BaseCommand):
    help = (
        "PostgreSQL's two roles (docs/operations.md#database-roles). `create OWNER APP` prints "
        "the SQL a superuser runs once to create them and hand the database to the owner; "
        "`grant` prints the owner's grants of data rights to the application's role "
        "(DATABASE_URL's), or with --apply runs them on the owner's connection "
        "(DATABASE_OWNER_URL). migrate on the owner's connection grants by itself."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="SQL for a superuser: the two roles.")
        create.add_argument("owner", help="The role that owns the tables (DATABASE_OWNER_URL's).")
        create.add_argument("application", help="The application's role (DATABASE_URL's).")
        create.add_argument(
            "--database", default="", help="The database to hand over to the owner, if any."
        )
        create.add_argument(
            "--password",
            default="",
            help="A password for both roles (throwaway roles, as CI's; otherwise set each "
            "with \\password afterwards).",
        )
        create.add_argument(
            "--createdb", action="store_true", help="Let the owner create databases (tests)."
        )
        grant = actions.add_parser("grant", help="The owner's grants to the application's role.")
        grant.add_argument(
            "--apply", action="store_true", help="Run them on the owner's connection."
        )

    def handle(self, *args, action, **options):
        if action == "create":
            statements = privileges.create_roles_sql(
                options["owner"],
                options["application"],
                options["database"],
                password=options["password"],
                createdb=options["createdb"],
            )
            self._print(statements)
            return
        alias = privileges.owner_alias()
        connection = connections[alias]
        role = settings.DATABASE_APPLICATION_ROLE
        if connection.vendor != "postgresql" or not role:
            raise CommandError("Roles and grants are PostgreSQL's: SQLite has none.")
        owner = privileges.current_role(connection)
        if owner == role:
            raise CommandError(
                f"The owner's connection logs in as {role!r}, the application's role: set "
                "DATABASE_OWNER_URL to the owner's credentials (DATABASE_URL stays the "
                "application's)."
            )
        statements = privileges.grant_sql(connection, role)
        if not options["apply"]:
            self._print(statements)
            return
        with transaction.atomic(using=alias), connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        self.stdout.write(
            f"granted {role} its data rights ({len(statements)} statements, as {owner})"
        )

    def _print(self, statements):
        for statement in statements:
            self.stdout.write(f"{statement};")
