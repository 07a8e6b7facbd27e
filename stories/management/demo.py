"""Demo content for ``make run``, loaded through the services.

Every demo revision is published the way the newsroom publishes: the editor's edit is
submitted for review, a second editor approves that exact edit (the two-person rule),
and the editor publishes it, so the demo's hashes, history rows, review steps and public
history pages are real, not inserted rows. One story waits in review, with comments.
"""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from stories import editing, publishing, reporting, reviewing
from stories.desk import comments
from stories.media import pictures
from stories.models import Contributor, PartnerKey, Section, SectionEditor, Story
from stories.partners import keys
from stories.roles import EDITOR, REPORTER, sync_roles

DEMO_FILE = Path(settings.BASE_DIR) / "fixtures" / "demo.json"
DEMO_PASSWORD = "newsroom-demo"
#: The demo partner's API key: known, like the demo password, and only ever made in demo mode.
DEMO_API_KEY = "nrk_newsroom-demo-partner-key"
DEMO_USERS = [
    ("editor", "Elena", "Marsh", EDITOR),
    ("editor2", "Noor", "Haddad", EDITOR),
    ("reporter", "Rui", "Santos", REPORTER),
]


def ensure_demo_users():
    """The demo logins (known password: only ever created in demo mode)."""
    groups = sync_roles()
    User = get_user_model()
    users = {}
    for username, first, last, role in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "is_staff": True,
                "email": f"{username}@newsroom.localhost",
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        user.groups.add(groups[role])
        users[username] = user
    return users


#: The demo's pictures, drawn at load time (no downloads, no binary files in the
#: repository): sky, sun, water and one landmark per scene, as (colours, landmark).
SCENES = {
    "flood": (((122, 160, 196), (214, 226, 236), (74, 110, 128), (240, 206, 140)), "road"),
    "ebb": (((180, 196, 210), (236, 232, 220), (96, 120, 112), (250, 236, 190)), "road"),
    "library": (((150, 190, 230), (226, 238, 248), (92, 140, 80), (255, 240, 170)), "building"),
    "ferry": (((44, 52, 96), (236, 150, 110), (30, 60, 92), (255, 196, 120)), "ferry"),
}
PICTURE_SIZE = (1600, 1000)


def scene_picture(scene: str) -> ContentFile:
    """A JPEG of a simple landscape, made with Pillow."""
    (sky, horizon, ground, sun), landmark = SCENES[scene]
    width, height = PICTURE_SIZE
    image = Image.new("RGB", PICTURE_SIZE)
    draw = ImageDraw.Draw(image)
    line = int(height * 0.58)
    for y in range(line):  # the sky, darker at the top
        mix = y / line
        draw.line(
            [(0, y), (width, y)],
            fill=tuple(round(a + (b - a) * mix) for a, b in zip(sky, horizon, strict=True)),
        )
    draw.ellipse([width * 0.68, line * 0.35, width * 0.78, line * 0.35 + width * 0.1], fill=sun)
    draw.rectangle([0, line, width, height], fill=ground)
    if landmark == "road":
        draw.polygon(
            [
                (width * 0.35, height),
                (width * 0.48, line),
                (width * 0.52, line),
                (width * 0.75, height),
            ],
            fill=(70, 70, 76),
        )
        draw.rectangle([0, line - 40, width * 0.3, line], fill=(120, 116, 108))  # the harbor wall
    elif landmark == "building":
        draw.rectangle([width * 0.2, line - 320, width * 0.6, line + 40], fill=(150, 72, 56))
        for column in range(5):
            x = width * 0.23 + column * width * 0.07
            draw.rectangle([x, line - 260, x + 60, line - 140], fill=(230, 226, 200))
    else:
        draw.polygon(
            [
                (width * 0.3, line + 10),
                (width * 0.62, line + 10),
                (width * 0.58, line + 70),
                (width * 0.34, line + 70),
            ],
            fill=(244, 244, 240),
        )
        draw.rectangle([width * 0.4, line - 50, width * 0.52, line + 10], fill=(236, 236, 230))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    return ContentFile(buffer.getvalue(), name=f"{scene}.jpg")


def _story_from(entry: dict, sections: dict) -> Story:
    """An unsaved story from a demo entry (its paragraphs joined as Markdown)."""
    return Story(
        slug=entry["slug"],
        headline=entry["headline"],
        dek=entry["dek"],
        section=sections[entry["section"]],
        dateline=entry["dateline"],
        body="\n\n".join(entry["body"]),
    )


def _set_image(story: Story, image: dict | None):
    if image:
        story.picture = pictures.store_picture(scene_picture(image["scene"]))
        story.image_alt, story.image_caption = image["alt"], image["caption"]


def _apply(story: Story, change: dict):
    paragraphs = story.body.split("\n\n")
    for old, new in change.get("replace", []):
        paragraphs = [p.replace(old, new) for p in paragraphs]
    paragraphs += change.get("append", [])
    story.body = "\n\n".join(paragraphs)


def ensure_demo_key() -> PartnerKey:
    """The demo partner's API key (``DEMO_API_KEY``)."""
    found = PartnerKey.objects.filter(key_hash=keys.key_hash(DEMO_API_KEY)).first()
    if found is not None:
        return found
    key, _ = keys.create_key(name="Demo partner app", contact="partner@localhost", raw=DEMO_API_KEY)
    return key


#: When the demo's scheduled story is due, after the demo is loaded (``--schedule-in``).
SCHEDULE_IN = timedelta(minutes=3)


def _reviewed(story: Story, *, author, approver) -> Story:
    """The author submits the working copy's edit; a second editor approves it."""
    reviewing.submit(story, user=author, message="Ready to publish.")
    reviewing.approve(story, user=approver)
    return story


@transaction.atomic
def load_demo(path: Path = DEMO_FILE, *, schedule_in: timedelta = SCHEDULE_IN) -> list[Story]:
    """Create the demo newsroom unless it already has stories; returns the stories created
    (a reporter's draft waits in review beside them).

    A story marked ``scheduled`` is approved by a second editor and scheduled by the
    demo's editor for ``schedule_in`` from now, so a new user watches the scheduler
    publish it on time.
    """
    ensure_demo_key()
    if Story.objects.exists():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    users = ensure_demo_users()
    editor, approver = users["editor"], users["editor2"]
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
        story = _story_from(entry, sections)
        _set_image(story, entry.get("image"))
        credits = [
            editing.CreditLine(
                contributor=contributors[credit["contributor"]],
                role=credit["role"],
                position=position,
            )
            for position, credit in enumerate(entry["credits"])
        ]
        editing.save_story(story, user=editor, reason="Demo story drafted", credits=credits)
        if entry.get("scheduled"):
            publishing.schedule(
                _reviewed(story, author=editor, approver=approver),
                user=editor,
                at=now + schedule_in,
            )
            created.append(story)
            continue
        publishing.publish(
            _reviewed(story, author=editor, approver=approver),
            user=editor,
            at=now - timedelta(hours=entry["published_hours_ago"]),
        )
        for revision in entry.get("revisions", []):
            _apply(story, revision)
            _set_image(story, revision.get("image"))
            editing.save_story(
                story,
                user=editor,
                reason=revision.get("internal_reason") or revision["public_note"],
            )
            publishing.publish(
                _reviewed(story, author=editor, approver=approver),
                user=editor,
                kind=revision["kind"],
                public_note=revision.get("public_note", ""),
                internal_reason=revision.get("internal_reason", ""),
                at=now - timedelta(hours=revision["hours_ago"]),
            )
        if "draft_changes" in entry:
            # A reporter's line for the next update: an editor publishing anything else
            # on this story is shown it, and asked to confirm it goes out too.
            _apply(story, entry["draft_changes"])
            editing.save_story(
                story, user=users["reporter"], reason="Draft line for the next update"
            )
        created.append(story)
    for section_slug, usernames in data.get("section_editors", {}).items():
        for username in usernames:
            SectionEditor.objects.get_or_create(
                section=sections[section_slug], user=users[username]
            )
    for entry in data.get("in_review", []):
        _in_review(entry, sections, contributors, users, now)
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


def _in_review(entry: dict, sections, contributors, users, now) -> Story:
    """A reporter's draft submitted to its section's editors, due soon, with comments on
    a sentence, a reply and a mention: what the desk's queue and change form show."""
    author = users[entry["author"]]
    story = _story_from(entry, sections)
    credits = [
        editing.CreditLine(contributor=contributors[credit["contributor"]], role=credit["role"])
        for credit in entry["credits"]
    ]
    editing.save_story(story, user=author, reason="Demo story drafted", credits=credits)
    reviewing.submit(
        story,
        user=author,
        message=entry["message"],
        due_at=now + timedelta(hours=entry["due_hours"]),
        priority=entry["priority"],
    )
    written = []
    for note in entry["comments"]:
        parent = written[note["reply_to"]] if "reply_to" in note else None
        written.append(
            comments.add_comment(
                story,
                user=users[note["by"]],
                body=note["body"],
                field=note.get("field", ""),
                quote=note.get("quote", ""),
                parent=parent,
            )
        )
    return story
