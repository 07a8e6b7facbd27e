"""Lead images: uploads checked with Pillow, stored once under their content hash,
published with each version (covered by its hash), shown to readers, compared between
versions, exported."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image

from stories import editing, publishing
from stories.content.kinds import CreditRole, RevisionKind
from stories.media import images, pictures
from stories.models import Picture, Revision
from stories.reader import pages
from stories.record.integrity import HASH_VERSION, revision_content, verify_story
from tests.adminforms import form_data
from tests.factories import approved, picture_bytes, png_claiming, stored, upload
from tests.readerpages import STORY_PAGE_QUERIES, at, make_story, publish, read, text
from tests.tampering import as_database_user, owner_test, refused_by_the_database, sql

pytestmark = pytest.mark.django_db


@pytest.fixture
def photographed(editor):
    """A draft with a byline, a photographer from the Coastal Ledger and a lead image."""
    story = make_story(
        [
            ("Maria Ortiz", CreditRole.BYLINE, ""),
            ("Ana Ruiz", CreditRole.PHOTOGRAPHY, "the Coastal Ledger"),
        ],
        slug="harbor-flood",
        headline="Harbor floods at high tide",
    )
    story.picture = stored(color=(20, 90, 160))
    story.image_alt = "Water covering the harbor road at dawn."
    story.image_caption = "The harbor road on Tuesday morning."
    editing.save_story(story, user=editor, reason="Added the photo")
    return story


def replace_picture(story, editor, **fields):
    for name, value in fields.items():
        setattr(story, name, value)
    editing.save_story(story, user=editor, reason="New photo")


# -- uploads: what is refused, with a message naming the file ---------------------------


def test_a_text_file_named_jpg_is_refused():
    with pytest.raises(images.ImageRejected, match="not a picture the site can read"):
        pictures.store_picture(upload(data=b"Dear editor, this is not a photo.\n"))
    assert not Picture.objects.exists()


def test_a_decompression_bomb_is_refused_before_its_pixels_are_read():
    with pytest.raises(images.ImageRejected, match="decompression bomb"):
        pictures.store_picture(upload("bomb.png", png_claiming(30_000, 30_000)))
    assert not Picture.objects.exists()


def test_too_many_pixels_is_refused():
    with pytest.raises(images.ImageRejected, match="48 megapixels.*limit is 40"):
        pictures.store_picture(upload("huge.png", png_claiming(8_000, 6_000)))


def test_an_oversized_file_is_refused_by_its_size():
    data = picture_bytes(size=(10, 10)) + b"\0" * images.MAX_BYTES
    with pytest.raises(images.ImageRejected, match="at most 20 MB"):
        pictures.store_picture(upload(data=data))


def test_other_image_types_are_refused():
    with pytest.raises(images.ImageRejected, match="GIF file: upload a JPEG, PNG or WebP"):
        pictures.store_picture(upload("anim.gif", picture_bytes(image_format="GIF")))


def test_exif_orientation_is_applied_and_the_location_stripped():
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    exif.get_ifd(0x8825)[2] = (51.0, 30.0, 0.0)  # GPS latitude
    exif[0x010F] = "PhoneMaker"
    picture = stored(size=(600, 400), exif=exif.tobytes())

    assert (picture.width, picture.height) == (400, 600), "stored the way the camera meant"
    with default_storage.open(picture.original) as original:
        data = original.read()
    served = Image.open(io.BytesIO(data))
    assert dict(served.getexif()) == {} and "exif" not in served.info
    assert b"PhoneMaker" not in data
    assert picture.sha256 == images.hashlib.sha256(data).hexdigest()


def test_renditions_are_made_once_per_picture(monkeypatch, photographed, editor, client):
    made = []
    real = images.renditions
    monkeypatch.setattr(images, "renditions", lambda prepared: made.append(1) or real(prepared))

    picture = stored(color=(1, 2, 3))
    assert len(made) == 1
    widths = sorted({r["width"] for r in picture.renditions})
    assert widths == [320, 640, 1024, 1200]
    assert {r["type"] for r in picture.renditions} == {"image/webp", "image/jpeg"}
    assert all(default_storage.exists(r["name"]) for r in picture.renditions)

    # The same picture again, a publish, a reader's request: no rendition is made.
    assert stored(color=(1, 2, 3)) == picture
    publish(photographed, editor, when=at(0))
    assert client.get(photographed.get_absolute_url()).status_code == 200
    assert len(made) == 1
    assert Picture.objects.filter(sha256=picture.sha256).count() == 1


def test_a_narrow_picture_is_never_enlarged():
    picture = stored(size=(500, 300), image_format="PNG")
    assert sorted({r["width"] for r in picture.renditions}) == [320, 500]
    assert picture.content_type == "image/png"


def test_a_new_upload_never_overwrites_a_stored_file():
    first = stored(color=(10, 10, 10))
    with default_storage.open(first.original) as file:
        before = file.read()
    second = stored(color=(250, 250, 250))
    assert second.original != first.original
    with default_storage.open(first.original) as file:
        assert file.read() == before


# -- alt text ---------------------------------------------------------------------------


def test_alt_text_is_required_with_a_picture(story, editor):
    story.picture = stored()
    story.image_alt = "   "
    with pytest.raises(ValidationError) as error:
        editing.save_story(story, user=editor)
    assert "alt text" in error.value.message_dict["image_alt"][0]


# -- the admin: upload, refusals on the field, nothing else lost ------------------------


def change_page(client, story):
    return client.get(reverse("admin:stories_story_change", args=[story.pk]))


def test_admin_upload_with_alt_text_sets_the_lead_image(client, editor, story):
    client.force_login(editor)
    data = form_data(
        change_page(client, story),
        image_alt="Council members at the table.",
        image_caption="The council on Tuesday.",
    )
    data["image_upload"] = upload()
    response = client.post(reverse("admin:stories_story_change", args=[story.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    story.refresh_from_db()
    assert story.picture is not None and story.image_alt == "Council members at the table."
    assert story.history.first().picture_id == story.picture_id


def test_admin_refuses_a_bad_file_on_its_field_and_keeps_the_rest(client, editor, story):
    client.force_login(editor)
    data = form_data(
        change_page(client, story), headline="A headline typed before the upload", image_alt="x"
    )
    data["image_upload"] = upload("notes.jpg", b"just text")
    response = client.post(reverse("admin:stories_story_change", args=[story.pk]), data)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "“notes.jpg”: This file is not a picture" in form.errors["image_upload"][0]
    assert list(form.errors) == ["image_upload"]
    assert 'value="A headline typed before the upload"' in response.content.decode()
    story.refresh_from_db()
    assert story.picture is None and story.headline != "A headline typed before the upload"


def test_admin_keeps_an_upload_when_alt_text_is_missing(client, editor, story):
    """A browser cannot fill a file input again: the stored picture rides in the form."""
    client.force_login(editor)
    url = reverse("admin:stories_story_change", args=[story.pk])
    data = form_data(change_page(client, story), image_alt="")
    data["image_upload"] = upload()
    response = client.post(url, data)
    form = response.context["adminform"].form
    assert "alt text" in form.errors["image_alt"][0]
    kept = form.data["uploaded_picture"]
    assert Picture.objects.filter(sha256=kept).exists()
    assert f'name="uploaded_picture" value="{kept}"' in response.content.decode()

    data = form_data(response, image_alt="A flooded road.")
    data["uploaded_picture"] = kept
    assert client.post(url, data).status_code == 302
    story.refresh_from_db()
    assert story.picture.sha256 == kept


# -- the public record ------------------------------------------------------------------


@owner_test
def test_each_version_snapshots_the_image_and_its_hash_covers_it(photographed, editor):
    revision = publish(photographed, editor, when=at(0))
    picture = photographed.picture
    assert revision.hash_version == HASH_VERSION == 4
    assert revision_content(revision)["image"] == {
        "sha256": picture.sha256,
        "width": 1200,
        "height": 800,
        "alt": "Water covering the harbor road at dawn.",
        "caption": "The harbor road on Tuesday morning.",
        "credit": "Ana Ruiz / Coastal Ledger",
    }
    assert verify_story(photographed) == []

    # The picture's stored hash rewritten behind the database's back: detected.
    sql("UPDATE stories_picture SET sha256 = %s WHERE id = %s", "0" * 64, picture.pk)
    assert verify_story(photographed) == ["version 1: content does not match its hash"]


@owner_test
def test_pointing_a_version_at_another_picture_is_detected(photographed, editor):
    publish(photographed, editor, when=at(0))
    other = stored(color=(0, 0, 0))
    revision = photographed.revisions.get()
    sql("UPDATE stories_revision SET picture_id = %s WHERE id = %s", other.pk, revision.pk)
    assert verify_story(photographed) == ["version 1: content does not match its hash"]


def test_older_versions_without_an_image_keep_verifying(story, editor):
    """A version without an image hashes ``null`` for it, and still checks."""
    revision = publish(story, editor, when=at(0))
    assert revision_content(revision)["image"] is None
    assert verify_story(story) == []


def test_stored_pictures_cannot_be_changed_or_deleted(photographed):
    picture = photographed.picture
    with refused_by_the_database(), as_database_user() as cursor:
        cursor.execute("UPDATE stories_picture SET width = 1 WHERE id = %s", [picture.pk])
    picture.width = 1
    with pytest.raises(Exception, match="never changes"):
        picture.save()


def test_replacing_the_image_of_a_published_story_needs_a_kind_and_a_note(photographed, editor):
    publish(photographed, editor, when=at(0))
    replace_picture(photographed, editor, picture=stored(color=(90, 160, 20)))

    diffs = publishing.pending_changes(photographed)
    assert [diff.label for diff in diffs.changed] == ["Photo"]
    assert diffs.changed[0].html == "Photo replaced"

    with pytest.raises(ValidationError) as error:
        publishing.publish(approved(photographed), user=editor)
    assert "kind" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        publishing.publish(approved(photographed), user=editor, kind=RevisionKind.UPDATE)
    assert "public note" in error.value.message_dict["public_note"][0]
    revision = publish(
        photographed, editor, when=at(1), kind=RevisionKind.UPDATE, note="Replaced the photo."
    )
    assert revision.picture == photographed.picture


def test_a_changed_caption_needs_a_reason_to_save(photographed, editor):
    publish(photographed, editor, when=at(0))
    photographed.image_caption = "The harbor road, flooded."
    with pytest.raises(ValidationError) as error:
        editing.save_story(photographed, user=editor)
    assert "change_reason" in error.value.message_dict


def test_old_versions_still_show_their_own_picture(client, photographed, editor):
    old = photographed.picture
    publish(photographed, editor, when=at(0))
    replace_picture(photographed, editor, picture=stored(color=(90, 160, 20)))
    publish(photographed, editor, when=at(1), kind=RevisionKind.UPDATE, note="New photo.")

    first = pages.revision_page(photographed.slug, 1).version.figure
    assert first.sha256 == old.sha256
    assert pages.story_page(photographed.slug).version.figure.sha256 != old.sha256
    assert all(default_storage.exists(r["name"]) for r in old.renditions)
    html = text(client.get(reverse("reader:revision", args=[photographed.slug, 1])))
    assert (
        default_storage.url(
            pictures.closest(pictures.of_type(old.renditions, "image/jpeg"), 1024)["name"]
        )
        in html
    )


def test_the_comparison_and_history_show_an_image_change(client, photographed, editor):
    old = photographed.picture
    publish(photographed, editor, when=at(0))
    replace_picture(photographed, editor, picture=stored(color=(90, 160, 20)))
    publish(photographed, editor, when=at(1), kind=RevisionKind.UPDATE, note="New photo.")
    replace_picture(photographed, editor, image_caption="The road after the water went down.")
    publish(photographed, editor, when=at(2), kind=RevisionKind.CORRECTION, note="Caption fixed.")

    compare = text(client.get(reverse("reader:compare", args=[photographed.slug, 1, 2])))
    assert "Photo replaced" in compare
    old_thumbnail = pictures.thumbnail(old.renditions, "").src
    new_thumbnail = pictures.thumbnail(photographed.picture.renditions, "").src
    assert old_thumbnail in compare and new_thumbnail in compare
    assert "Before (version 1)" in compare and "After (version 2)" in compare

    caption = text(client.get(reverse("reader:compare", args=[photographed.slug, 2, 3])))
    assert "Photo caption" in caption and "went down" in caption
    assert "Photo replaced" not in caption

    history = pages.history_page(photographed.slug, 1).listing.cards
    assert [entry.image_changes for entry in history] == [
        ("Caption changed",),
        ("Photo replaced",),
        (),
    ]
    assert "Photo replaced" in text(client.get(reverse("reader:history", args=[photographed.slug])))


def test_the_corrections_history_compares_each_photo_with_the_version_just_before(
    photographed, editor
):
    publish(photographed, editor, when=at(0))
    replace_picture(photographed, editor, picture=stored(color=(90, 160, 20)))
    publish(photographed, editor, when=at(1), kind=RevisionKind.CORRECTION, note="Wrong photo.")

    corrections = pages.history_page(photographed.slug, 1, corrections_only=True).listing.cards

    assert [(entry.number, entry.image_changes) for entry in corrections] == [
        (2, ("Photo replaced",))
    ]


# -- readers ----------------------------------------------------------------------------


def test_the_story_page_shows_a_figure_with_srcset_caption_and_credit(client, photographed, editor):
    publish(photographed, editor, when=at(0))
    page = read(client.get(photographed.get_absolute_url()))
    img = next(attrs for tag, attrs in page.tags if tag == "img" and "srcset" in attrs)
    assert img["alt"] == "Water covering the harbor road at dawn."
    assert (img["width"], img["height"]) == ("1024", "683")
    assert "loading" not in img, "the lead image is above the fold"
    assert "320w" in img["srcset"] and "1200w" in img["srcset"] and img["sizes"]
    assert page.has("source", type="image/webp")
    html = text(client.get(photographed.get_absolute_url()))
    assert "<figure" in html and "The harbor road on Tuesday morning." in html
    assert "Photo: Ana Ruiz / Coastal Ledger" in html


def test_lists_show_thumbnails(client, photographed, editor):
    publish(photographed, editor, when=at(0))
    other = make_story(slug="other", headline="Other news")
    other.picture, other.image_alt = stored(color=(5, 5, 5)), "Other picture."
    editing.save_story(other, user=editor)
    publish(other, editor, when=at(1))
    home = read(client.get(reverse("reader:home")))
    thumbnails = [a for t, a in home.tags if t == "img" and "story-thumbnail" in a.get("class", "")]
    assert [t["alt"] for t in thumbnails] == [
        "Other picture.",
        "Water covering the harbor road at dawn.",
    ]
    assert "loading" not in thumbnails[0] and thumbnails[1]["loading"] == "lazy"
    section = text(client.get(reverse("reader:section", args=[photographed.section.slug])))
    assert "story-thumbnail" in section
    contributor = photographed.credits.get(role=CreditRole.BYLINE).contributor
    assert "story-thumbnail" in text(client.get(contributor.get_absolute_url()))


def test_open_graph_twitter_and_json_ld_describe_the_image(client, settings, photographed, editor):
    settings.PUBLICATION_URL = "https://news.example"
    publish(photographed, editor, when=at(0))
    page = read(client.get(photographed.get_absolute_url()))
    picture = photographed.picture
    largest = pictures.of_type(picture.renditions, "image/jpeg")[-1]
    url = "https://news.example" + default_storage.url(largest["name"])
    assert page.meta["og:image"] == url
    assert (page.meta["og:image:width"], page.meta["og:image:height"]) == ("1200", "800")
    assert page.meta["og:image:alt"] == "Water covering the harbor road at dawn."
    assert page.meta["twitter:card"] == "summary_large_image"
    assert page.json_ld()["image"] == [
        {
            "@type": "ImageObject",
            "url": url,
            "contentUrl": url,
            "width": 1200,
            "height": 800,
            "caption": "The harbor road on Tuesday morning.",
            "description": "Water covering the harbor road at dawn.",
            "creditText": "Ana Ruiz / Coastal Ledger",
        }
    ]


def test_a_story_without_an_image_keeps_the_small_card(client, story, editor):
    publish(story, editor, when=at(0))
    page = read(client.get(story.get_absolute_url()))
    assert page.meta["twitter:card"] == "summary" and "og:image" not in page.meta
    assert "image" not in page.json_ld()


def test_story_page_queries_stay_constant_with_an_image(
    client, story, photographed, editor, django_assert_num_queries
):
    from stories.reader import caching

    publish(story, editor, when=at(0))
    publish(photographed, editor, when=at(1))
    for slug in (story.slug, photographed.slug):
        caching.invalidate_all()
        with django_assert_num_queries(STORY_PAGE_QUERIES):
            assert client.get(reverse("reader:story", args=[slug])).status_code == 200
        with django_assert_num_queries(0):
            assert client.get(reverse("reader:story", args=[slug]))["X-Reader-Cache"] == "hit"


# -- export -----------------------------------------------------------------------------


def test_the_export_carries_the_image_and_its_files_hash(photographed, editor):
    from stories.interchange.exporting import export_story

    publish(photographed, editor, when=at(0))
    exported = export_story(photographed)
    picture = photographed.picture
    assert exported["story"]["picture"]["sha256"] == picture.sha256
    assert exported["story"]["image_alt"] == "Water covering the harbor road at dawn."
    assert exported["revisions"][0]["image"]["sha256"] == picture.sha256
    assert exported["revisions"][0]["picture"]["original"] == picture.original
    changes = [
        c for entry in exported["history"] for c in entry["changes"] if c["field"] == "picture"
    ]
    assert changes[-1]["new"] == picture.sha256


# -- where media live -------------------------------------------------------------------


def test_media_are_served_by_the_application_only_on_a_laptop():
    from tests.envsettings import environment, production, settings_in

    demo = settings_in(environment(NEWSROOM_DEMO="1"), "SERVE_MEDIA", "STORAGES", "MEDIA_URL")
    assert demo["SERVE_MEDIA"] is True and demo["MEDIA_URL"] == "/media/"
    assert demo["STORAGES"]["default"]["BACKEND"].endswith("FileSystemStorage")
    # Production never serves media from the application, demo flag or not.
    assert settings_in(production(NEWSROOM_DEMO="1"), "SERVE_MEDIA")["SERVE_MEDIA"] is False


def test_production_media_on_an_s3_compatible_store():
    from django.core.exceptions import ImproperlyConfigured

    from tests.envsettings import production, settings_in

    configured = settings_in(
        production(
            NEWSROOM_MEDIA_STORAGE="s3",
            NEWSROOM_MEDIA_URL="https://media.news.example/",
            NEWSROOM_MEDIA_BUCKET="newsroom-media",
            NEWSROOM_MEDIA_ENDPOINT_URL="https://objects.example",
        ),
        "STORAGES",
        "CONTENT_SECURITY_POLICY",
    )
    storage = configured["STORAGES"]["default"]
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"]["bucket_name"] == "newsroom-media"
    assert storage["OPTIONS"]["custom_domain"] == "media.news.example"
    assert storage["OPTIONS"]["querystring_auth"] is False
    assert storage["OPTIONS"]["file_overwrite"] is False
    images_from = configured["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["img-src"]
    assert "https://media.news.example/" in images_from

    with pytest.raises(ImproperlyConfigured, match="NEWSROOM_MEDIA_URL"):
        settings_in(production(NEWSROOM_MEDIA_STORAGE="s3"), "STORAGES")


@owner_test
def test_a_legal_removal_takes_the_picture_out_of_the_version(photographed, editor, client):
    from django.contrib.auth import get_user_model

    from stories.record.removal import remove_content

    publish(photographed, editor, when=at(0))
    replace_picture(photographed, editor, picture=stored(color=(90, 160, 20)))
    publish(photographed, editor, when=at(1), kind=RevisionKind.UPDATE, note="New photo.")
    chief = get_user_model().objects.create_superuser("chief", "chief@example.com", "x")
    remove_content(
        photographed, [1], user=chief, public_note="Removed by order.", internal_reason="Order."
    )
    first = Revision.objects.get(story=photographed, number=1)
    assert first.picture is None and first.image_alt == ""
    assert pages.revision_page(photographed.slug, 1).version.figure is None
    assert verify_story(photographed, removed={1}) == []


def test_the_preview_shows_the_working_copys_picture(client, photographed, editor):
    client.force_login(editor)
    html = text(client.get(reverse("reader:preview", args=[photographed.slug])))
    assert "Preview - not published" in html and "<figure" in html
    assert "Photo: Ana Ruiz / Coastal Ledger" in html


# -- pictures nobody uses -----------------------------------------------------------------


def exists(picture) -> list[bool]:
    return [default_storage.exists(name) for name in picture.files]


def test_files_of_pictures_no_version_and_no_working_copy_uses_are_deleted(photographed, editor):
    from datetime import timedelta

    shown = stored(color=(1, 2, 3))
    publish(photographed, editor, when=at(0))
    replace_picture(photographed, editor, picture=shown)  # the first stays in version 1
    abandoned = stored(color=(4, 5, 6))  # uploaded with a form never saved
    draft = make_story(slug="never-published")
    replace_picture(draft, editor, picture=stored(color=(7, 8, 9)), image_alt="A pier.")
    replaced = draft.picture
    replace_picture(draft, editor, picture=stored(color=(10, 11, 12)))  # the draft's now

    young = pictures.delete_unused(grace=timedelta(days=1))
    done = pictures.delete_unused(grace=timedelta(0))

    assert young == []
    assert {picture for picture, _ in done} == {abandoned, replaced}
    assert all(names == picture.files for picture, names in done)
    for picture in (abandoned, replaced):
        assert not any(exists(picture)) and Picture.objects.filter(pk=picture.pk).exists()
    for picture in (photographed.revisions.get().picture, shown, draft.picture):
        assert all(exists(picture))
    assert pictures.delete_unused(grace=timedelta(0)) == []  # nothing left to delete


def test_the_command_deletes_after_the_grace_period_and_can_say_what_it_would(settings):
    from io import StringIO

    from django.core.management import call_command

    abandoned = stored(color=(13, 14, 15))
    out = StringIO()
    call_command("delete_unused_pictures", stdout=out)  # 7 days by default
    assert out.getvalue().strip() == "deleted 0 files of 0 unused pictures"
    settings.PICTURE_GRACE_DAYS = 0
    out = StringIO()
    call_command("delete_unused_pictures", "--dry-run", stdout=out)
    assert f"would delete {len(abandoned.files)} files of 1 unused pictures" in out.getvalue()
    assert all(exists(abandoned))
    call_command("delete_unused_pictures", "--days", "0", stdout=StringIO())
    assert not any(exists(abandoned))


def test_the_same_picture_uploaded_again_gets_its_files_back(editor):
    from datetime import timedelta

    data = picture_bytes(color=(16, 17, 18))
    first = pictures.store_picture(upload(data=data))
    pictures.delete_unused(grace=timedelta(0))
    assert not any(exists(first))

    again = pictures.store_picture(upload(data=data))

    assert again == first and all(exists(again))
    with default_storage.open(again.original) as original:  # the same bytes as before
        assert hashlib.sha256(original.read()).hexdigest() == again.sha256
    story = make_story(slug="uploaded-again")
    replace_picture(story, editor, picture=again, image_alt="A buoy.")
    assert story.picture == again


def test_a_picture_whose_files_were_deleted_cannot_be_attached(editor):
    """A form kept open for days, or a revert to an old draft, names a picture whose files
    are gone: refused, with what to do."""
    from datetime import timedelta

    gone = stored(color=(19, 20, 21))
    pictures.delete_unused(grace=timedelta(0))
    story = make_story(slug="kept-too-long")
    story.picture, story.image_alt = gone, "A quay."
    with pytest.raises(ValidationError) as refused:
        editing.save_story(story, user=editor)
    assert refused.value.message_dict["picture"] == [
        "This picture is no longer kept (no story used it for a while, so its files were "
        "deleted): upload it again."
    ]
