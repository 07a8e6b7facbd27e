"""The admin at the sizes editors use it: every column of a list on a 1280-pixel
screen without a sideways scroll, and the story form's credits within reach on a phone.
Layout is only visible in a browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from stories import reporting
from tests.e2e.conftest import PASSWORD


def logged_in_page(browser, live_server, user, **context):
    page = browser.new_context(**context).new_page()
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/admin/$"))
    return page


@pytest.mark.parametrize("listing", ["story", "revision", "errorreport"])
def test_lists_show_every_column_at_1280_pixels(
    browser, live_server, editor, corrected_story, listing
):
    reporting.submit_report(
        corrected_story.slug, seen_number=3, description="The tide came on Saturday, not Sunday."
    )
    page = logged_in_page(browser, live_server, editor, viewport={"width": 1280, "height": 800})

    page.goto(f"{live_server.url}/admin/stories/{listing}/")

    results = page.locator(".results")
    widths = results.evaluate("element => [element.scrollWidth, element.clientWidth]")
    assert widths[0] <= widths[1], f"{listing}: {widths[0]}px of columns in {widths[1]}px"
    last_heading = page.locator("#result_list thead th").last
    assert last_heading.bounding_box()["x"] + last_heading.bounding_box()["width"] <= 1280
    page.context.close()


def test_every_field_of_a_credit_fits_a_phone(browser, live_server, editor, corrected_story):
    page = logged_in_page(
        browser, live_server, editor, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    page.goto(f"{live_server.url}/admin/stories/story/{corrected_story.pk}/change/")
    credits = page.locator("#credits-group")
    first = credits.locator("tbody tr.has_original").first

    widths = credits.evaluate("element => [element.scrollWidth, element.clientWidth]")
    assert widths[0] <= widths[1], f"{widths[0]}px of credits in a {widths[1]}px column"
    for field in ("td.field-role select", "td.field-affiliation input", "td.delete input"):
        box = first.locator(field).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (field, box)
    expect(first.locator("td.field-role")).to_contain_text("Byline")
    page.context.close()
