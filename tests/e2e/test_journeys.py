"""The journeys of readers and editors, in Chromium, asserting what each person sees."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from stories.models import Story
from tests.e2e.conftest import a_colleague_approves, log_in


def change_page(live_server, story) -> str:
    return f"{live_server.url}/admin/stories/story/{story.pk}/change/"


def test_a_reader_follows_the_record_of_a_story(page, live_server, corrected_story):
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="King tide swamps Pier Road").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("King tide swamps Pier Road")
    notes = page.get_by_role("complementary", name="Corrections and editor's notes")
    expect(notes).to_contain_text("Correction: An earlier version misstated the night of the tide.")
    times = page.locator(".story-times")
    expect(times).to_contain_text("Published")
    expect(times).to_contain_text("Updated")
    expect(page.locator(".story-tagline")).to_have_text(
        "Dev Patel of the Coastal Ledger contributed to this report."
    )

    page.get_by_role("link", name=re.compile(r"View revision history \(3 versions\)")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Revision history")
    expect(page.locator(".history-entry")).to_have_count(3)

    page.get_by_role("link", name="Version 1", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("You are viewing version 1 of 3")
    expect(page.locator(".story-body")).to_contain_text("Tuesday night")

    page.get_by_role("link", name="Compare with the current version").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Changes between versions 1 and 3")
    expect(page.locator(".story-diff section del").first).to_have_text("Tuesday")
    expect(page.locator(".story-diff section ins").first).to_have_text("Sunday")

    page.get_by_role("link", name="King tide swamps Pier Road").first.click()
    page.get_by_role("link", name="June Okafor").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("June Okafor")
    expect(page.get_by_role("link", name="King tide swamps Pier Road")).to_be_visible()


def test_an_editor_publishes_a_correction(page, live_server, editor, corrected_story):
    log_in(page, live_server, editor)
    page.goto(change_page(live_server, corrected_story))
    body = page.get_by_label("Body:")
    body.fill(body.input_value().replace("two feet", "three feet"))
    page.get_by_label("Reason for this change").fill("The harbor master's figure was wrong.")
    page.get_by_role("button", name="Save and publish update…").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Publish an update")
    expect(page.locator("#review-verdict")).to_contain_text("has not been approved")
    a_colleague_approves(page, corrected_story)
    expect(page.locator("#review-verdict")).to_contain_text("Approved by Sam Second")
    expect(page.get_by_label("Internal reason")).to_have_value(
        "The harbor master's figure was wrong."
    )
    expect(page.locator(".story-diff section ins").first).to_have_text("three")
    page.get_by_label("Kind").select_option(label="Correction")
    page.get_by_label("Public note").fill("An earlier version misstated the depth of the water.")
    page.get_by_role("button", name="Publish update").click()
    expect(page.locator(".messagelist")).to_contain_text("Published version 4")

    page.goto(live_server.url + corrected_story.get_absolute_url())
    top = page.get_by_role("complementary", name="Corrections and editor's notes")
    expect(top.locator(".story-note").first).to_contain_text(
        "Correction: An earlier version misstated the depth of the water."
    )
    expect(page.locator(".story-body")).to_contain_text("three feet")
    page.goto(f"{live_server.url}/stories/{corrected_story.slug}/history/")
    expect(page.locator(".history-entry").first).to_contain_text("Version 4")
    expect(page.locator(".history-entry").first).to_contain_text("Correction")
    page.get_by_role("link", name="Compare with version 3").click()
    expect(page.locator(".story-diff section del")).to_have_text(["two"])
    expect(page.locator(".story-diff section ins")).to_have_text(["three"])


def test_a_minor_edit_keeps_the_updated_time_and_is_listed(
    page, live_server, editor, corrected_story
):
    page.goto(live_server.url + corrected_story.get_absolute_url())
    updated_before = page.locator(".story-times time").nth(1).get_attribute("datetime")

    log_in(page, live_server, editor)
    page.goto(change_page(live_server, corrected_story))
    body = page.get_by_label("Body:")
    body.fill(body.input_value().replace("the council's", "the council’s"))
    page.get_by_label("Summary (dek):").fill("Eleven shops took on water overnight.")
    page.get_by_label("Reason for this change").fill("Style.")
    page.get_by_role("button", name="Save and publish update…").click()
    page.get_by_label("Kind").select_option(label="Minor edit")
    page.get_by_role("button", name="Publish update").click()
    expect(page.locator(".messagelist")).to_contain_text("Published version 4")

    page.goto(live_server.url + corrected_story.get_absolute_url())
    page.reload()  # the browser may keep a reader page a minute (max-age); ask again
    expect(page.locator(".story-dek")).to_have_text("Eleven shops took on water overnight.")
    expect(page.locator(".story-times time").nth(1)).to_have_attribute("datetime", updated_before)
    page.goto(f"{live_server.url}/stories/{corrected_story.slug}/history/")
    expect(page.locator(".history-entry").first).to_contain_text("Minor edit")


def test_a_reporter_has_no_publish_control_and_is_refused_at_the_address(
    page, live_server, reporter, corrected_story
):
    log_in(page, live_server, reporter)
    page.goto(change_page(live_server, corrected_story))
    expect(page.get_by_role("button", name="Save draft")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("publish", re.I))).to_have_count(0)
    expect(page.get_by_role("link", name="Withdraw…")).to_have_count(0)

    response = page.goto(f"{live_server.url}/admin/stories/story/{corrected_story.pk}/publish/")

    assert response.status == 403
    expect(page.locator(".messagelist")).to_contain_text(
        "reporter does not have permission to publish stories."
    )


def test_the_second_of_two_editors_is_refused_and_keeps_their_text(
    browser, live_server, editor, second_editor, corrected_story
):
    first_context, second_context = browser.new_context(), browser.new_context()
    first, second = first_context.new_page(), second_context.new_page()
    log_in(first, live_server, editor)
    log_in(second, live_server, second_editor)
    first.goto(change_page(live_server, corrected_story))
    second.goto(change_page(live_server, corrected_story))

    first.get_by_label("Headline:").fill("King tide floods Pier Road")
    first.get_by_label("Reason for this change").fill("Sharper headline.")
    first.get_by_role("button", name="Save draft").click()
    expect(first.locator(".messagelist")).to_contain_text("was changed successfully")

    rewrite = "The tide came on Sunday night, the highest in a decade."
    second.get_by_label("Body:").fill(rewrite)
    second.get_by_label("Reason for this change").fill("Context.")
    second.get_by_role("button", name="Save draft").click()

    expect(second.locator(".errornote, .errorlist").first).to_be_visible()
    expect(second.locator("body")).to_contain_text("Elena Editor saved this story at")
    expect(second.get_by_label("Body:")).to_have_value(rewrite)
    assert Story.objects.get(pk=corrected_story.pk).headline == "King tide floods Pier Road"
    first_context.close()
    second_context.close()


def test_reverts_before_and_after_publication_never_move_the_public_address(
    page, live_server, editor, corrected_story
):
    address = live_server.url + corrected_story.get_absolute_url()
    rows = list(corrected_story.history.order_by("history_date", "history_id"))
    before, after = rows[0], rows[-1]
    log_in(page, live_server, editor)

    for row in (before, after):
        page.goto(
            f"{live_server.url}/admin/stories/story/{corrected_story.pk}/history/{row.history_id}/"
        )
        expect(page.get_by_label("Slug:")).to_be_disabled()
        page.get_by_label("Reason for this change").fill("Reverting in a journey.")
        page.get_by_role("button", name="Revert", exact=True).click()
        expect(page.locator(".messagelist")).to_contain_text("changed successfully")
        assert page.request.get(address).status == 200

    assert Story.objects.get(pk=corrected_story.pk).slug == corrected_story.slug


def test_a_withdrawn_story_answers_410_with_the_note(page, live_server, editor, corrected_story):
    log_in(page, live_server, editor)
    page.goto(change_page(live_server, corrected_story))
    a_colleague_approves(page, corrected_story, purpose="withdraw")
    page.get_by_role("link", name="Withdraw…").click()
    page.get_by_label("Editor's note").fill("This story was withdrawn pending a legal review.")
    page.get_by_role("button", name="Withdraw story").click()
    expect(page.locator(".messagelist")).to_contain_text("has been withdrawn")

    response = page.goto(live_server.url + corrected_story.get_absolute_url())

    assert response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"“{corrected_story.headline}” has been withdrawn"
    )
    expect(page.locator("main")).to_contain_text("This story was withdrawn pending a legal review.")
    assert Story.objects.get(pk=corrected_story.pk).is_withdrawn


def test_an_editor_adds_a_photo_and_readers_see_it(page, live_server, editor, corrected_story):
    """Upload with alt text, publish as an update, the reader's figure and the record."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (1200, 800), (30, 90, 150)).save(buffer, "JPEG")
    log_in(page, live_server, editor)
    page.goto(change_page(live_server, corrected_story))
    page.get_by_label("Upload a lead image").set_input_files(
        {"name": "pier-road.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}
    )
    page.get_by_label("Alt text").fill("Seawater over Pier Road at dawn.")
    page.get_by_label("Caption").fill("Pier Road on Tuesday morning.")
    page.get_by_label("Reason for this change").fill("Added the photo desk's picture.")
    page.get_by_role("button", name="Save and publish update…").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Publish an update")
    expect(page.locator(".story-diff")).to_contain_text("Photo added")
    a_colleague_approves(page, corrected_story)
    page.get_by_label("Kind").select_option(label="Update")
    page.get_by_label("Public note").fill("This story has been updated with a photo.")
    page.get_by_role("button", name="Publish update").click()
    expect(page.locator(".messagelist")).to_contain_text("Published version 4")

    page.goto(live_server.url + corrected_story.get_absolute_url())
    figure = page.locator("figure.story-figure")
    expect(figure.get_by_role("img", name="Seawater over Pier Road at dawn.")).to_be_attached()
    expect(figure.locator("figcaption")).to_contain_text("Pier Road on Tuesday morning.")
    page.goto(f"{live_server.url}/stories/{corrected_story.slug}/history/")
    expect(page.locator(".history-entry").first).to_contain_text("Photo added")


def test_a_reader_report_becomes_a_correction(page, live_server, editor, corrected_story):
    story_address = live_server.url + corrected_story.get_absolute_url()
    page.goto(story_address)
    page.get_by_role("link", name="Report an error").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Report an error")
    expect(page.locator("main")).to_contain_text("version 3 of “King tide swamps Pier Road”")
    page.get_by_label("What is wrong?").fill(
        "The water stood three feet deep by the market: I measured it."
    )
    page.get_by_label("The passage (optional)").fill("two feet deep near the market")
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your report")
    expect(page.locator("main")).to_contain_text("The corrections desk has received it.")

    log_in(page, live_server, editor)
    page.get_by_role("link", name="Reader reports", exact=True).click()
    queue = page.locator("#result_list tbody tr")
    expect(queue).to_have_count(1)
    expect(queue).to_contain_text("King tide swamps Pier Road")
    expect(queue).to_contain_text("New")
    queue.get_by_role("link", name=re.compile("The water stood three feet deep")).click()
    report_address = page.url
    expect(page.locator(".field-passage")).to_contain_text("two feet deep near the market")
    expect(page.locator(".field-seen_version_link")).to_contain_text("Version 3 (the live version)")

    # The desk checks the story and corrects the working copy first...
    page.locator(".field-story_link").get_by_role("link", name="King tide swamps Pier Road").click()
    body = page.get_by_label("Body:")
    body.fill(body.input_value().replace("two feet", "three feet"))
    page.get_by_label("Reason for this change").fill("A reader's report, checked with the harbor.")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    # ...then publishes the correction from the report: the publish page links it.
    page.goto(report_address)
    page.get_by_role("link", name="Publish a correction from this report…").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Publish an update")
    a_colleague_approves(page, corrected_story)
    expect(page.get_by_label(re.compile(r"Report \d+ \(version 3\)"))).to_be_checked()
    expect(page.locator(".story-diff section ins").first).to_have_text("three")
    page.get_by_label("Kind").select_option(label="Correction")
    page.get_by_label("Public note").fill("An earlier version misstated the depth of the water.")
    page.get_by_role("button", name="Publish update").click()
    expect(page.locator(".messagelist")).to_contain_text("Published version 4")

    page.goto(report_address)
    expect(page.locator(".field-status select")).to_have_value("corrected")
    expect(page.locator(".field-resolved_by_link")).to_contain_text(
        "Version 4 (correction): An earlier version misstated the depth of the water."
    )
    page.get_by_role("link", name="Reader reports", exact=True).first.click()
    expect(page.locator("#result_list tbody tr")).to_contain_text("Corrected")

    page.goto(story_address)
    page.reload()  # the browser may keep a reader page a minute (max-age); ask again
    top = page.get_by_role("complementary", name="Corrections and editor's notes")
    expect(top.locator(".story-note").first).to_contain_text(
        "Correction: An earlier version misstated the depth of the water."
    )
    expect(top.locator(".story-note").first).to_contain_text("Prompted by a reader report")
    expect(page.locator(".story-body")).to_contain_text("three feet")


def test_a_headline_pasted_too_long_is_counted_not_cut(page, live_server, editor, corrected_story):
    pasted = "King tide swamps Pier Road " * 8  # 216 characters; the limit is 200
    log_in(page, live_server, editor)
    page.goto(change_page(live_server, corrected_story))
    headline = page.get_by_label("Headline:")
    expect(page.locator("#id_headline-character-count")).to_have_text("26 of 200 characters")

    headline.fill(pasted)

    expect(headline).to_have_value(pasted)
    expect(page.locator("#id_headline-character-count")).to_have_text(
        "216 of 200 characters: 16 too many"
    )
    page.get_by_label("Reason for this change").fill("A longer headline.")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".field-headline .errorlist")).to_contain_text(
        "at most 200 characters (it has 215)"
    )
    expect(page.get_by_label("Headline:")).to_have_value(pasted)  # as the editor typed it


def test_a_correction_from_a_report_shows_and_confirms_a_colleagues_unpublished_edit(
    page, live_server, editor, reporter, corrected_story
):
    """The demo's ferry story: a reporter's draft line waits in the working copy, and a
    correction published from a reader's report would carry it out with it."""
    from stories import editing, reporting

    draft = Story.objects.get(pk=corrected_story.pk)
    draft.body += "\n\nDraft: the council meets again on Tuesday."
    editing.save_story(draft, user=reporter, reason="A line for the next update.")
    reporting.submit_report(
        corrected_story.slug,
        seen_number=3,
        description="The water was three feet deep, not two.",
        passage="two feet deep",
    )
    log_in(page, live_server, editor)

    page.goto(f"{live_server.url}/admin/stories/story/")
    row = page.locator("#result_list tbody tr", has_text=corrected_story.headline)
    expect(row).to_contain_text("changes not yet published: 1 edit by Rui Reporter")
    row.get_by_role("link", name=corrected_story.headline).click()
    expect(page.locator("#unpublished-edits")).to_contain_text(
        "changes not yet published: 1 edit by Rui Reporter"
    )

    page.get_by_role("link", name="Reader reports", exact=True).click()
    page.locator("#result_list tbody tr").get_by_role("link").first.click()
    page.get_by_role("link", name="Publish a correction from this report…").click()

    pending = page.locator("#unpublished-edits")
    expect(pending).to_contain_text(f"Edit {draft.edit_number} by Rui Reporter")
    expect(pending).to_contain_text("A line for the next update.")
    above = (
        pending.bounding_box()["y"]
        < page.get_by_role("button", name="Publish update").bounding_box()["y"]
    )
    assert above, "the pending edits are listed above the Publish button"
    a_colleague_approves(page, draft)
    page.get_by_label("Kind").select_option(label="Correction")
    page.get_by_label("Public note").fill("An earlier version misstated the depth of the water.")
    page.get_by_role("button", name="Publish update").click()

    confirm = page.get_by_label(re.compile("I have reviewed the edits by Rui Reporter"))
    expect(page.locator(".errorlist")).to_contain_text("include edits by Rui Reporter")
    assert Story.objects.get(pk=corrected_story.pk).latest_revision.number == 3
    confirm.check()
    page.get_by_role("button", name="Publish update").click()
    expect(page.locator(".messagelist")).to_contain_text("Published version 4")
    assert (
        "Draft: the council meets" in Story.objects.get(pk=corrected_story.pk).latest_revision.body
    )


def test_a_reader_compares_any_two_versions_without_javascript(
    browser, live_server, corrected_story
):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/stories/{corrected_story.slug}/history/")

    page.get_by_label("Compare version").fill("3")
    page.get_by_label("with version").fill("1")
    page.get_by_role("button", name="Compare").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Changes between versions 1 and 3")
    expect(page.locator(".story-diff section ins").first).to_have_text("Sunday")
    context.close()
