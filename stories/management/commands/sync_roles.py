from django.core.management.base import BaseCommand

from stories.roles import sync_roles


class Command(BaseCommand):
    help = "Create or update the Reporters and Editors groups and their permissions."

    def handle(self, *args, **options):
        for name, group in sync_roles().items():
            self.stdout.write(f"{name}: {group.permissions.count()} permissions")
