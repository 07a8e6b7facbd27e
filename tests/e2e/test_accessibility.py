"""Reader pages in Chromium: no serious accessibility problem (axe-core), no sideways
scrolling on a phone."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

#: axe-core impacts that fail a page; "minor" and "moderate" ones are reported, not fatal.
FAILING_IMPACTS = {"serious", "critical"}


def reader_pages(story) -> dict[str, str]:
    return {
        "home": "/",
        "story": story.get_absolute_url(),
        "history": f"/stories/{story.slug}/history/",
        "compare": f"/stories/{story.slug}/history/1/compare/3/",
        "old version": f"/stories/{story.slug}/history/1/",
        "corrections": "/corrections/",
        "error report": f"/stories/{story.slug}/report/",
        "report thanks": f"/stories/{story.slug}/report/thanks/",
        "compare choice": f"/stories/{story.slug}/history/compare/",
        "record guide": "/record/",
        "record technical": "/record/technical/",
    }


@pytest.mark.parametrize(
    "name",
    [
        "home",
        "story",
        "history",
        "compare",
        "old version",
        "corrections",
        "error report",
        "report thanks",
        "compare choice",
        "record guide",
        "record technical",
    ],
)
def test_no_serious_or_critical_accessibility_violations(page, live_server, corrected_story, name):
    response = page.goto(live_server.url + reader_pages(corrected_story)[name])
    assert response.status == 200

    assert serious_violations(page) == []


def test_the_error_report_form_showing_its_errors_has_no_serious_violations(
    page, live_server, corrected_story
):
    page.goto(live_server.url + reader_pages(corrected_story)["error report"])
    page.get_by_label("What is wrong?").fill("The tide came on Saturday.")
    page.get_by_label("Your email (optional)").fill("reader@example.org")  # the box unticked
    page.get_by_role("button", name="Send report").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("Tick this box")

    assert serious_violations(page) == []


def serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} "
        f"[{', '.join(node['target'][0] for node in violation['nodes'][:3])}]"
        for violation in results.response["violations"]
        if violation["impact"] in FAILING_IMPACTS
    ]


@pytest.mark.parametrize(
    "name",
    [
        "story",
        "history",
        "compare",
        "error report",
        "report thanks",
        "record guide",
        "record technical",
    ],
)
def test_no_horizontal_scrolling_on_a_phone(browser, live_server, corrected_story, name):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    response = page.goto(live_server.url + reader_pages(corrected_story)[name])
    assert response.status == 200

    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )

    assert widths[0] <= widths[1], f"{name}: {widths[0]}px of content in a {widths[1]}px screen"
    context.close()


def test_list_pages_use_the_width_of_a_wide_screen(browser, live_server, editor, corrected_story):
    from tests.readerpages import at, published_story

    published_story(editor, headline="Ferry trims evening sailings", when=at(-20))
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()

    page.goto(live_server.url + "/")
    main = page.locator("main").bounding_box()
    cards = page.locator(".story-card")
    first, second = cards.nth(0).bounding_box(), cards.nth(1).bounding_box()
    assert first["y"] == second["y"] and second["x"] > first["x"] + first["width"], (first, second)
    assert second["x"] + second["width"] > main["x"] + 0.9 * main["width"], (
        "the list fills the page"
    )

    page.goto(live_server.url + "/corrections/")
    column = page.locator("main > div").first.bounding_box()
    left, right = (
        column["x"] - main["x"],
        main["x"] + main["width"] - (column["x"] + column["width"]),
    )
    assert abs(left - right) <= 2, "the corrections' column of text stands in the middle"
    context.close()
