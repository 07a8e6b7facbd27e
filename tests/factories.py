"""factory-boy factories for the editorial models."""

import io
import struct
import zlib

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from stories.content.kinds import CreditRole
from stories.media import pictures
from stories.models import Contributor, Credit, Picture, Section, Story
from stories.roles import EDITOR, REPORTER, ROLE_PERMISSIONS

#: The permissions of the newsroom's two roles (stories.roles), for users made in tests.
REPORTER_PERMISSIONS = ROLE_PERMISSIONS[REPORTER]
EDITOR_PERMISSIONS = ROLE_PERMISSIONS[EDITOR]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda user: f"{user.username}@newsroom.example")
    is_staff = True
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def permissions(user, create, codenames, **kwargs):
        if create and codenames:
            user.user_permissions.set(
                Permission.objects.filter(content_type__app_label="stories", codename__in=codenames)
            )


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Section {n}")
    slug = factory.Sequence(lambda n: f"section-{n}")


class ContributorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contributor

    name = factory.Faker("name")
    slug = factory.Sequence(lambda n: f"contributor-{n}")
    affiliation = "the Coastal Ledger"


class StoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Story

    headline = factory.Sequence(lambda n: f"Council debates harbor plan, part {n}")
    slug = factory.Sequence(lambda n: f"council-debates-harbor-plan-{n}")
    dek = "The vote is expected next month."
    body = "The council met on Tuesday.\n\nResidents spoke for three hours."
    section = factory.SubFactory(SectionFactory)
    dateline = "PORT HAVEN"


class CreditFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Credit

    story = factory.SubFactory(StoryFactory)
    contributor = factory.SubFactory(ContributorFactory)
    role = CreditRole.BYLINE
    position = factory.Sequence(lambda n: n)


def granted(user, *codenames):
    """``user`` with more permissions, read afresh (Django caches a user's permissions)."""
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="stories", codename__in=codenames)
    )
    return type(user).objects.get(pk=user.pk)


def second_editor(username: str = "second-editor"):
    """A colleague with the Editors' permissions: the second pair of eyes that approves
    what tests publish. No email address, so tests that count emails count their own."""
    known = get_user_model().objects.filter(username=username).first()
    if known is not None:
        return known  # made earlier in the test, with its permissions
    return UserFactory(
        username=username,
        first_name="Sam",
        last_name="Second",
        email="",
        permissions=EDITOR_PERMISSIONS,
    )


def approved(story, *, by=None, purpose="publish"):
    """``story``, with its current edit approved through the review service, as the
    two-person rule asks before a publish, a schedule or a withdrawal: submitted by a
    reporter, approved by ``by`` (a second editor by default, a third when the second
    made the edit). Returns ``story`` for chaining:
    ``publishing.publish(approved(story), user=editor)``.
    """
    from stories import reviewing
    from stories.models import ReviewState

    stored = Story.objects.get(pk=story.pk)
    if stored.is_withdrawn or (purpose == "withdraw" and not stored.is_public):
        return story  # nothing to review: the service under test refuses it for itself
    author = reviewing.edit_author(stored)
    if by is None:
        by = second_editor()
        if author is not None and author.pk == by.pk:
            by = second_editor("third-editor")
    review = reviewing.open_review(stored)
    if review is not None and review.purpose != purpose:
        reviewing.cancel(stored, user=review.submitted_by)
        review = None
    if reviewing.approval_is_current(review, stored):
        return story
    if review is None or review.state == ReviewState.CHANGES_REQUESTED:
        # A reporter of the desk's own, with no address: the helper's steps email nobody,
        # so tests that count emails or tasks count only their own.
        submitter = get_user_model().objects.filter(
            username="desk-reporter"
        ).first() or UserFactory(
            username="desk-reporter", email="", permissions=REPORTER_PERMISSIONS
        )
        reviewing.submit(stored, user=submitter, purpose=purpose)
    reviewing.approve(stored, user=by)
    return story


def long_record(story, editor, *, versions: int, start=None):
    """Give ``story`` a long-running record fast: version 1 published through the service,
    then versions 2..``versions`` (every fourth a correction, the rest updates) written
    in bulk with a valid hash chain, each with its audit rows (the revision's and two of
    the story's, as an edit and a publish would leave, chained as the audit trail's own)
    and its leaf in the transparency log. For query-count tests and benchmarks, where publishing a thousand times one by
    one would be the slow part.
    """
    from datetime import UTC, datetime, timedelta

    from django.db import transaction

    from stories import publishing
    from stories.content.kinds import RevisionKind
    from stories.models import Revision, Story
    from stories.record import audit_chain, transparency
    from stories.record.integrity import revision_hash

    start = start or datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
    first = publishing.publish(approved(story), user=editor, at=start)
    content = {name: getattr(first, name) for name in publishing.CONTENT_FIELDS}
    revisions, previous = [], first
    for number in range(2, versions + 1):
        kind = RevisionKind.CORRECTION if number % 4 == 0 else RevisionKind.UPDATE
        revision = Revision(
            story=story,
            number=number,
            kind=kind,
            public_note=f"Note for version {number}.",
            published_at=start + timedelta(minutes=number),
            published_by=editor,
            previous_hash=previous.content_hash,
            hash_version=first.hash_version,
            **{**content, "body": f"{content['body']}\n\nVersion {number} adds a line."},
        )
        revision.content_hash = revision_hash(revision)
        revisions.append(revision)
        previous = revision
    stored = Story.objects.get(pk=story.pk)
    history = stored.history.model
    rows = []
    for revision in revisions:
        for offset, reason in ((-30, "Edited"), (0, f"Published as version {revision.number}")):
            row = history(
                **{f.attname: getattr(stored, f.attname) for f in Story._meta.concrete_fields},
                history_date=revision.published_at + timedelta(seconds=offset),
                history_type="~",
                history_user=editor,
                history_change_reason=reason,
            )
            rows.append(row)
    with transaction.atomic():
        Revision.objects.bulk_create(revisions, batch_size=500)
        revision_rows = [
            Revision.history.model(
                **{f.attname: getattr(revision, f.attname) for f in Revision._meta.concrete_fields},
                history_date=revision.published_at,
                history_type="+",
                history_user=editor,
            )
            for revision in revisions
        ]
        for model, audit_rows in ((Revision.history.model, revision_rows), (history, rows)):
            audit_chain.link_new_rows(model, audit_rows)  # as simple-history's own rows are
            model.objects.bulk_create(audit_rows, batch_size=500)
        written = Revision.objects.filter(story=story, number__gt=1).order_by("number")
        transparency.append_many(written)
        if revisions:
            latest = Revision.objects.get(story=story, number=versions)
            Story.objects.filter(pk=story.pk).update(
                latest_revision=latest, updated_at=latest.published_at
            )
    story.refresh_from_db()
    return story


# -- pictures ---------------------------------------------------------------------------


def picture_bytes(size=(1200, 800), image_format="JPEG", color=(200, 80, 40), **save) -> bytes:
    """A picture of one colour, as a file's bytes (JPEG unless ``image_format`` says)."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, image_format, **save)
    return buffer.getvalue()


def upload(name="harbor.jpg", data=None, **kwargs) -> SimpleUploadedFile:
    """An uploaded file, as a form receives it."""
    return SimpleUploadedFile(name, data if data is not None else picture_bytes(**kwargs))


def png_claiming(width: int, height: int) -> bytes:
    """A small PNG whose header claims ``width`` x ``height`` pixels (its data does not
    follow): what a decompression bomb looks like to the first reader of its header."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + header
    ihdr = struct.pack(">I", len(header)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    data = b"IDAT" + zlib.compress(b"\0" * 64)
    idat = struct.pack(">I", len(data) - 4) + data + struct.pack(">I", zlib.crc32(data))
    return b"\x89PNG\r\n\x1a\n" + ihdr + idat


def stored(**kwargs) -> Picture:
    """A picture stored as an editor's upload is (``stories.media.pictures``)."""
    return pictures.store_picture(upload(**kwargs))
