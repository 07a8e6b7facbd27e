"""The site's own Content-Security-Policy, as Chromium enforces it: every page that runs
a script runs it, and the browser reports no violation anywhere (a blocked script file,
an inline script or style, a request a widget makes).

A policy is only visible in a browser: the test client sees the header, not what it
blocks. So these journeys read what Chromium says in the console when it refuses
something ("Refused to load the script ... because it violates the following Content
Security Policy directive").
"""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import expect

from stories import reporting
from tests.e2e.conftest import log_in
from tests.factories import UserFactory

#: Admin pages are visited once per address shape (ids replaced): enough to meet every
#: template and widget, without walking every row of every list.
MAX_ADMIN_PAGES = 80


class ViolationLog:
    """What the browser refused on a page, as it said it in the console."""

    def __init__(self, page):
        self.messages: list[str] = []
        page.on("console", self._console)

    def _console(self, message):
        if "Content Security Policy" in message.text:
            self.messages.append(message.text)

    def take(self) -> list[str]:
        found, self.messages = self.messages, []
        return found


@pytest.fixture
def superuser(db):
    return UserFactory(username="chief", first_name="Carla", last_name="Chief", is_superuser=True)


def select_paragraph(page, index: int) -> str:
    """Select the ``index``-th paragraph of the story body as a reader would (three
    clicks), and return the text the browser selected."""
    paragraph = page.locator(".story-body p").nth(index)
    paragraph.click(click_count=3)
    return page.evaluate("() => window.getSelection().toString()").strip()


def test_a_readers_selected_sentence_arrives_in_the_report_form(page, live_server, corrected_story):
    violations = ViolationLog(page)
    page.goto(live_server.url + corrected_story.get_absolute_url())

    selected = select_paragraph(page, 1)
    page.get_by_role("link", name="Report an error").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Report an error")
    assert selected == "The water stood two feet deep near the market."
    expect(page.get_by_label("The passage (optional)")).to_have_value(selected)
    assert violations.take() == []


@pytest.mark.parametrize("path", ["story", "old version"])
def test_reader_pages_run_their_script_without_violations(page, live_server, corrected_story, path):
    address = {
        "story": corrected_story.get_absolute_url(),
        "old version": f"/stories/{corrected_story.slug}/history/1/",
    }[path]
    violations = ViolationLog(page)
    loaded = []
    page.on(
        "requestfinished",
        lambda request: loaded.append(request.url) if request.resource_type == "script" else None,
    )

    page.goto(live_server.url + address)
    page.wait_for_load_state("load")

    assert any(url.endswith("/static/stories/report-selection.js") for url in loaded)
    assert violations.take() == []


def admin_address_shape(path: str) -> str:
    """``/admin/stories/story/12/history/345/`` → ``/admin/stories/story/N/history/N/``."""
    return re.sub(r"/\d+/", "/N/", path)


def test_every_admin_page_and_widget_runs_within_the_policy(
    page, live_server, superuser, corrected_story
):
    reporting.submit_report(
        corrected_story.slug,
        seen_number=3,
        description="The tide came on Saturday.",
        passage="The tide came on Sunday night.",
    )
    violations = ViolationLog(page)
    page.goto(f"{live_server.url}/admin/login/")
    assert violations.take() == [], "the login page"
    log_in(page, live_server, superuser)

    found: dict[str, list[str]] = {}
    seen_shapes: set[str] = set()
    queue = deque(["/admin/"])
    while queue and len(seen_shapes) < MAX_ADMIN_PAGES:
        path = queue.popleft()
        shape = admin_address_shape(path)
        if shape in seen_shapes:
            continue
        seen_shapes.add(shape)
        response = page.goto(live_server.url + path)
        page.wait_for_load_state("load")
        if response.status >= 400 and response.status != 403:  # 403: a delete refused
            found[path] = [f"answered {response.status}"]
            continue
        if messages := violations.take():
            found[path] = messages
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            address = urlsplit(urljoin(page.url, href))
            if address.netloc != urlsplit(live_server.url).netloc:
                continue
            if not address.path.startswith("/admin/") or "logout" in address.path:
                continue
            queue.append(address.path)

    # The widgets that act after the page has loaded: the contributor autocomplete (a
    # script asking the site for names), a new credit row, the collapsed fieldset.
    page.goto(f"{live_server.url}/admin/stories/story/{corrected_story.pk}/change/")
    page.get_by_role("button", name="Add another Credit").click()
    page.locator(".select2-selection").last.click()
    page.locator(".select2-search__field").fill("Ju")
    expect(page.locator(".select2-results__option").first).to_contain_text("June Okafor")
    page.keyboard.press("Escape")
    page.locator("summary", has_text="Publication").click()
    if messages := violations.take():
        found["the story form's widgets"] = messages

    assert len(seen_shapes) > 25, sorted(seen_shapes)
    assert found == {}, "\n".join(f"{where}: {said}" for where, said in found.items())
