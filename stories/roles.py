"""The newsroom's two roles as Django groups: reporters draft, editors publish.

Permissions, not template conditions, decide who may publish; ``sync_roles`` (and
``load_demo``) keep the groups' permissions in step with this table.
"""

from django.contrib.auth.models import Group, Permission

REPORTER = "Reporters"
EDITOR = "Editors"

_DRAFTING = [
    "view_story", "add_story", "change_story",
    "view_credit", "add_credit", "change_credit", "delete_credit",
    "view_contributor", "add_contributor", "change_contributor",
    "view_section", "view_revision",
]  # fmt: skip

ROLE_PERMISSIONS = {
    REPORTER: _DRAFTING,
    EDITOR: [
        *_DRAFTING,
        "delete_story",
        "publish_story",
        "withdraw_story",
        "add_section",
        "change_section",
        "delete_contributor",
    ],
}


def sync_roles() -> dict[str, Group]:
    groups = {}
    for name, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(
            content_type__app_label="stories", codename__in=codenames
        )
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise LookupError(
                f"unknown permissions for {name}: {', '.join(sorted(missing))} (run migrate)"
            )
        group.permissions.set(permissions)
        groups[name] = group
    return groups
