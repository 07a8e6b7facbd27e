"""The desk in Chromium: a reporter submits, an editor comments on a sentence and asks for
changes, the reporter hears of it and fixes the sentence, the editor approves, another
editor publishes, and the timeline shows every step; presence in another tab, an
autosave restored after a reload, an outside approver's link; axe on the new pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from stories import reviewing
from stories.desk import comments, previews
from stories.models import Review, Story
from tests.e2e.conftest import log_in
from tests.e2e.test_accessibility import serious_violations
from tests.readerpages import make_story


@pytest.fixture
def draft(db):
    return make_story(
        [("June Okafor", "byline", "")],
        headline="Harbor dredging to close the channel",
        slug="harbor-dredging-to-close-the-channel",
        body="Dredging will close the channel for six weeks.\n\nBoats will tie up at the outer pier.",
    )


def change_page(live_server, story) -> str:
    return f"{live_server.url}/admin/stories/story/{story.pk}/change/"


def select_in_body(page, words: str):
    """Select ``words`` in the Body text area, as a mouse would, once the page's scripts
    (desk.js, which offers to comment on a selection) are running: a selection made while
    the page still loads would go unseen."""
    page.wait_for_load_state("load")
    page.get_by_label("Body:").evaluate(
        """(area, words) => {
            const start = area.value.indexOf(words);
            area.focus();
            area.setSelectionRange(start, start + words.length);
            area.dispatchEvent(new Event("select"));
        }""",
        words,
    )


def test_a_story_goes_through_the_desk(
    browser, live_server, reporter, editor, second_editor, draft
):
    reporter_page = browser.new_context().new_page()
    editor_page = browser.new_context().new_page()
    publisher_page = browser.new_context().new_page()
    due = timezone.localtime(timezone.now() + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")

    # The reporter submits the draft with a due time, to a named editor.
    log_in(reporter_page, live_server, reporter)
    reporter_page.goto(change_page(live_server, draft))
    form = reporter_page.locator(
        "form", has=reporter_page.get_by_role("button", name=re.compile("Submit edit"))
    )
    form.get_by_label("Message").fill("Ready for a read: the dates are from the harbor notice.")
    form.get_by_label("Reviewer").select_option(label="Elena Editor")
    form.get_by_label("Due").fill(due)
    form.get_by_label("Priority").select_option(label="High")
    form.get_by_role("button", name=re.compile("Submit edit")).click()
    expect(reporter_page.locator(".messagelist")).to_contain_text("Submitted for review")
    expect(reporter_page.locator("#desk-status")).to_contain_text("waiting for Elena Editor")

    # The editor sees it in the queue and comments on a sentence.
    log_in(editor_page, live_server, editor)
    editor_page.get_by_role("link", name="Waiting for me (1)").click()
    row = editor_page.locator("#result_list tbody tr")
    expect(row).to_contain_text("Harbor dredging to close the channel")
    expect(row).to_contain_text("High")
    row.get_by_role("link").click()
    select_in_body(editor_page, "for six weeks")
    editor_page.get_by_role("button", name="Comment on the selection").click()
    editor_page.locator("#id_comment_body").fill("The notice says seven weeks. Which is it?")
    editor_page.get_by_role("button", name="Add comment").click()
    thread = editor_page.locator(".field-body .desk-thread")
    expect(thread).to_contain_text("On the body: for six weeks")
    expect(thread).to_contain_text("The notice says seven weeks.")

    # ...and requests changes.
    editor_page.locator("#id_decision_message").fill("Fix the length of the closure, please.")
    editor_page.get_by_role("button", name="Request changes").click()
    expect(editor_page.locator(".messagelist")).to_contain_text("Changes requested")

    # The reporter sees the notification, fixes the sentence and submits again.
    reporter_page.goto(f"{live_server.url}/admin/")
    reporter_page.get_by_role("link", name=re.compile(r"Notifications \(\d+ unread\)")).click()
    reporter_page.get_by_role("link", name=re.compile("Elena Editor requested changes")).click()
    body = reporter_page.get_by_label("Body:")
    body.fill(body.input_value().replace("for six weeks", "for seven weeks"))
    reporter_page.get_by_role("button", name="Save draft").click()
    expect(reporter_page.locator(".messagelist")).to_contain_text("was changed successfully")
    expect(reporter_page.locator(".desk-anchor-note")).to_contain_text("changed or removed")
    form = reporter_page.locator(
        "form", has=reporter_page.get_by_role("button", name=re.compile("Submit edit"))
    )
    form.get_by_label("Message").fill("Seven weeks, as the notice says.")
    form.get_by_role("button", name=re.compile("Submit edit")).click()
    expect(reporter_page.locator("#desk-status")).to_contain_text("In review")

    # The editor approves; the reporter could not have.
    editor_page.reload()
    editor_page.get_by_role("button", name=re.compile(r"Approve edit \d+")).click()
    expect(editor_page.locator(".messagelist")).to_contain_text("Approved.")
    reporter_page.reload()
    expect(reporter_page.get_by_role("button", name=re.compile("Approve"))).to_have_count(0)

    # Another editor publishes.
    log_in(publisher_page, live_server, second_editor)
    publisher_page.goto(change_page(live_server, draft))
    publisher_page.get_by_role("button", name="Save and publish…").click()
    expect(publisher_page.locator("#review-verdict")).to_contain_text("Approved by Elena Editor")
    publisher_page.get_by_role("button", name="Publish", exact=True).click()
    expect(publisher_page.locator(".messagelist")).to_contain_text("Published version 1")

    # The timeline has every step.
    timeline = publisher_page.locator("#desk-timeline")
    for step in (
        "Submitted for review",
        "Commented on the body",
        "Requested changes",
        "Approved",
        "Published version 1",
        "Published as approved",
    ):
        expect(timeline).to_contain_text(step)
    assert Review.objects.get().state == "done"
    assert Story.objects.get(pk=draft.pk).latest_revision.body.startswith(
        "Dredging will close the channel for seven weeks."
    )


def test_presence_shows_in_another_tab_and_a_reload_restores_an_autosave(
    browser, live_server, reporter, editor, draft
):
    editor_page = browser.new_context().new_page()
    reporter_page = browser.new_context().new_page()
    log_in(editor_page, live_server, editor)
    editor_page.goto(change_page(live_server, draft))

    log_in(reporter_page, live_server, reporter)
    reporter_page.goto(change_page(live_server, draft))
    expect(reporter_page.locator("#desk-presence")).to_contain_text(
        re.compile(r"Elena Editor has been editing this story since \d\d:\d\d")
    )
    editor_page.evaluate("window.newsroomDesk.beatNow()")  # the editor's next beat names Rui
    expect(editor_page.locator("#desk-presence")).to_contain_text("Rui Reporter has been editing")

    body = reporter_page.get_by_label("Body:")
    body.fill("Words typed, then the laptop closed.")
    reporter_page.evaluate("window.newsroomDesk.autosaveNow()")
    expect(reporter_page.locator("#desk-autosave-status")).to_contain_text(
        "Your unsaved changes are kept"
    )
    reporter_page.reload()
    offer = reporter_page.locator("#desk-autosave-offer")
    expect(offer).to_contain_text("You have unsaved changes to this story from")
    reporter_page.get_by_role("button", name="Restore my unsaved changes").click()
    expect(reporter_page.get_by_label("Body:")).to_have_value(
        "Words typed, then the laptop closed."
    )
    reporter_page.get_by_role("button", name="Save draft").click()
    expect(reporter_page.locator(".messagelist")).to_contain_text("was changed successfully")
    expect(reporter_page.locator("#desk-autosave-offer")).to_have_count(0)


def test_an_outside_approver_reads_and_comments(page, live_server, editor, draft):
    link, token = previews.create_link(draft, user=editor, label="Counsel, M. Reyes")
    page.goto(f"{live_server.url}/review/{token}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Harbor dredging to close the channel"
    )
    assert serious_violations(page) == []
    page.get_by_label("Your name").fill("M. Reyes")
    page.get_by_label("Your comment", exact=True).fill("Paragraph two is fine.")
    page.get_by_role("button", name="Send to the editors").click()
    expect(page.locator(".alert-success")).to_contain_text("your comment reached the editors")
    assert draft.comments.get().visitor_name == "M. Reyes"


@pytest.mark.parametrize("name", ["queue", "change form", "notifications", "publish"])
def test_the_desks_pages_have_no_serious_accessibility_violations(
    page, live_server, reporter, editor, draft, name
):
    reviewing.submit(draft, user=reporter, reviewer=editor, message="Please.")
    comments.add_comment(
        draft, user=reporter, body="@editor see the dates", field="body", quote="six weeks"
    )
    log_in(page, live_server, editor)
    address = {
        "queue": "/admin/stories/review/",
        "change form": f"/admin/stories/story/{draft.pk}/change/",
        "notifications": "/admin/stories/notification/",
        "publish": f"/admin/stories/story/{draft.pk}/publish/",
    }[name]
    response = page.goto(live_server.url + address)
    assert response.status == 200
    if name == "change form":  # the credits' autocomplete boxes, once drawn and named
        expect(page.locator(".select2-selection[role=combobox]").last).to_have_attribute(
            "aria-label", "Contributor"
        )
    assert serious_violations(page) == []
