"""Demo content for ``make run``, loaded through the publishing service.

Every demo revision is published the way an editor would publish it, so the demo's
hashes, history rows and public history pages are real, not inserted rows.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from stories import editing, publishing, reporting
from stories.models import Contributor, Section, Story
from stories.roles import EDITOR, REPORTER, sync_roles

DEMO_FILE = Path(settings.BASE_DIR) / "fixtures" / "demo.json"
DEMO_PASSWORD = "newsroom-demo"
DEMO_USERS = [
    ("editor", "Elena", "Marsh", EDITOR),
    ("reporter", "Rui", "Santos", REPORTER),
]


def ensure_demo_users():
    """The demo logins (known password: only ever created in demo mode)."""
    groups = sync_roles()
    User = get_user_model()
    users = {}
    for username, first, last, role in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last, "is_staff": True}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        user.groups.add(groups[role])
        users[username] = user
    return users


def _apply(story: Story, change: dict):
    paragraphs = story.body.split("\n\n")
    for old, new in change.get("replace", []):
        paragraphs = [p.replace(old, new) for p in paragraphs]
    paragraphs += change.get("append", [])
    story.body = "\n\n".join(paragraphs)


@transaction.atomic
def load_demo(path: Path = DEMO_FILE) -> list[Story]:
    """Create the demo newsroom unless it already has stories; returns the stories created."""
    if Story.objects.exists():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    editor = ensure_demo_users()["editor"]
    now = timezone.now()
    created = []
    sections = {}
    for fields in data["sections"]:
        sections[fields["slug"]] = section = Section(**fields)
        editing.save_section(section, user=editor, reason="Demo section")
    contributors = {}
    for fields in data["contributors"]:
        contributors[fields["slug"]] = contributor = Contributor(**fields)
        editing.save_contributor(contributor, user=editor, reason="Demo contributor")
    for entry in data["stories"]:
        story = Story(
            slug=entry["slug"],
            headline=entry["headline"],
            dek=entry["dek"],
            section=sections[entry["section"]],
            dateline=entry["dateline"],
            body="\n\n".join(entry["body"]),
        )
        credits = [
            editing.CreditLine(
                contributor=contributors[credit["contributor"]],
                role=credit["role"],
                position=position,
            )
            for position, credit in enumerate(entry["credits"])
        ]
        editing.save_story(story, user=editor, reason="Demo story drafted", credits=credits)
        publishing.publish(
            story, user=editor, at=now - timedelta(hours=entry["published_hours_ago"])
        )
        for revision in entry.get("revisions", []):
            _apply(story, revision)
            editing.save_story(
                story,
                user=editor,
                reason=revision.get("internal_reason") or revision["public_note"],
            )
            publishing.publish(
                story,
                user=editor,
                kind=revision["kind"],
                public_note=revision.get("public_note", ""),
                internal_reason=revision.get("internal_reason", ""),
                at=now - timedelta(hours=revision["hours_ago"]),
            )
        if "draft_changes" in entry:
            _apply(story, entry["draft_changes"])
            editing.save_story(story, user=editor, reason="Unpublished draft edit")
        created.append(story)
    # A reader's report waiting in the desk's queue (Reader reports, in the admin).
    for report in data.get("reports", []):
        story = Story.objects.select_related("latest_revision").get(slug=report["story"])
        reporting.submit_report(
            story.slug,
            seen_number=story.latest_revision.number,
            description=report["description"],
            passage=report.get("passage", ""),
            name=report.get("name", ""),
            email=report.get("email", ""),
            wants_reply=report.get("wants_reply", False),
        )
    return created
