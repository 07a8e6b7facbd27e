"""Internal comments: anchored to a field and a passage (and honest when the passage moves
or goes), replies, resolve and reopen, @mentions, and their audit trail."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from stories import editing
from stories.desk import comments
from stories.models import Comment, Notification, Story
from tests.factories import UserFactory, second_editor

BODY = "The council met on Tuesday.\n\nResidents spoke for three hours."


def save(story, user, body):
    story = Story.objects.get(pk=story.pk)
    story.body = body
    editing.save_story(story, user=user, expected_edit=story.edit_number)
    return story


def test_a_comment_anchored_to_a_passage_knows_where_it_stands(story, editor):
    comment = comments.add_comment(
        story, user=editor, body="Which Tuesday?", field="body", quote="on Tuesday"
    )
    assert (comment.field, comment.quote, comment.position, comment.edit_number) == (
        "body",
        "on Tuesday",
        BODY.index("on Tuesday"),
        1,
    )
    assert comments.anchor_of(comment, story).state == "here"

    moved = save(story, editor, "A new first paragraph.\n\n" + BODY)
    anchor = comments.anchor_of(comment, moved)
    assert (anchor.state, anchor.position) == ("moved", moved.body.index("on Tuesday"))
    assert "moved since edit 1" in anchor.note

    gone = save(story, editor, BODY.replace("on Tuesday", "on Wednesday"))
    anchor = comments.anchor_of(comment, gone)
    assert anchor.state == "gone"
    assert "changed or removed after edit 1" in anchor.note, "never points at the wrong words"


def test_the_position_given_picks_the_right_one_of_two_equal_passages(story, editor):
    twice = save(story, editor, "Tuesday came. Then Tuesday came again.")
    second = twice.body.rindex("Tuesday")
    comment = comments.add_comment(
        twice, user=editor, body="This one.", field="body", quote="Tuesday", position=second
    )
    assert comment.position == second


def test_a_passage_that_is_not_in_the_saved_field_is_refused(story, editor):
    with pytest.raises(ValidationError) as error:
        comments.add_comment(story, user=editor, body="?", field="body", quote="not in it")
    assert "is not in the body as saved (edit 1)" in error.value.message_dict["quote"][0]
    with pytest.raises(ValidationError) as error:
        comments.add_comment(story, user=editor, body="?", field="slug", quote="x")
    assert "field" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        comments.add_comment(story, user=editor, body="   ")
    assert error.value.message_dict["body"] == ["Write a comment."]
    assert not Comment.objects.exists()


def test_replies_hang_under_the_thread_and_resolve_it_as_a_whole(story, editor, reporter):
    first = comments.add_comment(
        story, user=editor, body="Source?", field="dek", quote="next month"
    )
    reply = comments.add_comment(story, user=reporter, body="The clerk.", parent=first)
    deeper = comments.add_comment(story, user=editor, body="Thanks.", parent=reply)
    assert reply.parent == first and deeper.parent == first
    assert reply.field == "" and reply.quote == ""

    [thread] = comments.threads(story)
    assert thread.comment == first and thread.replies == [reply, deeper]

    resolved = comments.resolve(reply, user=reporter)
    assert resolved.pk == first.pk and resolved.resolved_by == reporter
    with pytest.raises(ValidationError, match="already resolved"):
        comments.resolve(first, user=editor)
    assert comments.reopen(first, user=editor).resolved_at is None
    reasons = list(
        first.history.order_by("history_date").values_list("history_change_reason", "history_user")
    )
    assert reasons == [("Commented", editor.pk), ("Resolved", reporter.pk), ("Reopened", editor.pk)]


def test_mentions_notify_the_colleagues_named_and_unknown_names_are_refused(
    story, editor, reporter
):
    desk = second_editor()
    comment = comments.add_comment(
        story, user=reporter, body="@second-editor and @EDITOR: is the quote right? mail@editor.org"
    )
    assert set(comment.mentions.all()) == {desk, editor}
    mentioned = Notification.objects.filter(action="mentioned")
    assert set(mentioned.values_list("recipient__username", flat=True)) == {
        "second-editor",
        "editor",
    }
    assert "Rui Reporter mentioned you" in mentioned.first().text

    with pytest.raises(ValidationError, match="No colleague here is called @nobody"):
        comments.add_comment(story, user=reporter, body="@nobody look")


def test_watchers_hear_of_new_comments_but_not_the_writer(story, editor, reporter):
    comments.add_comment(story, user=editor, body="First.")
    comments.add_comment(story, user=reporter, body="Second.")
    assert list(Notification.objects.values_list("recipient__username", "action")) == [
        ("editor", "commented")
    ]


def test_commenting_needs_the_right_to_edit_stories(story):
    viewer = UserFactory(username="viewer", permissions=["view_story"])
    with pytest.raises(PermissionDenied):
        comments.add_comment(story, user=viewer, body="Hello")


def test_comments_reach_no_export_and_no_published_version(story, editor):
    from io import StringIO

    from django.core.management import call_command

    from stories import publishing, reviewing
    from tests.factories import approved

    comments.add_comment(story, user=editor, body="Zebra-11 remark for the desk")
    reviewing.submit(story, user=editor, message="Zebra-11 review note")
    revision = publishing.publish(approved(story), user=editor)
    out = StringIO()
    call_command("export_story", story.slug, stdout=out)
    assert "Zebra-11" not in out.getvalue()
    assert "Zebra-11" not in repr(revision.snapshot()) + revision.content_hash
