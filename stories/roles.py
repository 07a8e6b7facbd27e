"""Who may do what: reporters draft and submit for review, editors review and publish.

``publish_without_review`` (breaking news, docs/desk.md) is in no role: grant it to the
few who need it.

Permissions, not template conditions, decide it. The services check them with
``require_permission`` (so a command or a shell session meets the same rule as the
admin), and ``sync_roles`` (run by ``load_demo``) keeps the two groups' permissions in
step with ``ROLE_PERMISSIONS``.
"""

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied

REPORTER = "Reporters"
EDITOR = "Editors"

PUBLISH_STORY = "stories.publish_story"
WITHDRAW_STORY = "stories.withdraw_story"
#: Breaking news: publish without a second editor's approval, giving a reason (recorded).
PUBLISH_WITHOUT_REVIEW = "stories.publish_without_review"
ADD_STORY = "stories.add_story"
CHANGE_STORY = "stories.change_story"
ADD_SECTION = "stories.add_section"
CHANGE_SECTION = "stories.change_section"
ADD_CONTRIBUTOR = "stories.add_contributor"
CHANGE_CONTRIBUTOR = "stories.change_contributor"
CHANGE_REPORT = "stories.change_errorreport"

#: What each permission lets a person do, as refusals name it ("... to publish stories").
ACTIONS = {
    PUBLISH_STORY: "publish stories",
    WITHDRAW_STORY: "withdraw stories",
    PUBLISH_WITHOUT_REVIEW: "publish without a second editor's approval",
    ADD_STORY: "write stories",
    CHANGE_STORY: "edit stories",
    ADD_SECTION: "create sections",
    CHANGE_SECTION: "edit sections",
    ADD_CONTRIBUTOR: "add contributors",
    CHANGE_CONTRIBUTOR: "edit contributors",
    CHANGE_REPORT: "handle reader reports",
}

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
        # The corrections desk: readers' reports (their personal data stays with editors).
        "view_errorreport",
        "change_errorreport",
        # Who edits which section: reviews sent to a section reach its editors.
        "view_sectioneditor",
        "add_sectioneditor",
        "change_sectioneditor",
        "delete_sectioneditor",
    ],
}


#: What changes the public record: accounts that may do it need a second factor.
CHANGES_THE_RECORD = (PUBLISH_STORY, WITHDRAW_STORY)


def changes_the_record(user) -> bool:
    """Whether ``user`` can change what readers see and the record keeps: publish,
    withdraw, or (a superuser) remove content for a legal reason."""
    return bool(
        user is not None
        and user.is_active
        and (user.is_superuser or any(user.has_perm(p) for p in CHANGES_THE_RECORD))
    )


def require_permission(user, permission: str, action: str | None = None) -> None:
    """Refuse, with a sentence naming the user and the action, unless ``user`` may."""
    if user is None or not user.has_perm(permission):
        name = getattr(user, "username", None) or "anonymous"
        raise PermissionDenied(
            f"{name} does not have permission to {action or ACTIONS[permission]}."
        )


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
