"""An editor's journey in Chromium through a real Varnish edge, then a sweep of the edge.

The browser talks to ``varnishd`` (``deploy/varnish/newsroom.vcl``) in front of the live
server, as readers and editors do in production: the editor logs in, corrects a story,
previews it and publishes; readers see the correction through the edge at once. Then the
edge's own log is swept: no admin page, preview or form answer was stored, and an
anonymous reader fetching them through the edge gets nothing of the editor's.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from deploy.varnish.edge import Varnish, varnishd_path
from tests.e2e.conftest import PASSWORD, a_colleague_approves

pytestmark = pytest.mark.skipif(
    varnishd_path() is None,
    reason="needs varnishd with the xkey module (apt-get install varnish varnish-modules)",
)


@pytest.fixture
def edge(live_server, settings):
    address = urlsplit(live_server.url)
    varnish = Varnish([(address.hostname, address.port)], memory="32m").start()
    settings.EDGE_PURGE_URLS = [f"{varnish.url}/"]
    yield varnish
    varnish.stop()


def test_an_editors_day_through_the_edge_leaves_nothing_private_stored(
    browser, edge, editor, corrected_story
):
    story_url = edge.url + corrected_story.get_absolute_url()
    reader = browser.new_context().new_page()
    reader.goto(story_url)
    expect(reader.locator(".story-body")).to_contain_text("two feet")

    page = browser.new_context().new_page()
    page.goto(f"{edge.url}/admin/login/")
    page.get_by_label("Username").fill(editor.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/admin/$"))
    change = f"{edge.url}/admin/stories/story/{corrected_story.pk}/change/"
    page.goto(change)
    body = page.get_by_label("Body:")
    body.fill(body.input_value().replace("two feet", "three feet"))
    page.get_by_label("Reason for this change").fill("The harbor master's figure was wrong.")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    preview = f"{edge.url}/stories/{corrected_story.slug}/preview/"
    page.goto(preview)
    expect(page.locator(".preview-banner")).to_be_visible()
    page.goto(story_url)  # the editor reads the site too: the readers' page
    expect(page.locator(".story-body")).to_contain_text("two feet")

    page.goto(change)
    page.get_by_role("button", name="Save and publish update…").click()
    a_colleague_approves(page, corrected_story)
    page.get_by_label("Kind").select_option(label="Correction")
    page.get_by_label("Public note").fill("An earlier version misstated the depth of the water.")
    page.get_by_role("button", name="Publish update").click()
    expect(page.locator(".messagelist")).to_contain_text("Published version 4")

    answer = reader.reload()  # the browser keeps a page a minute (max-age); ask again
    expect(reader.locator(".story-body")).to_contain_text("three feet")
    assert answer.headers["x-cache"] == "miss", "purged as the publish committed"

    fetched = edge.fetches()
    kept = {url for url, storage in fetched if storage != "Transient"}
    assert any(url.startswith("/admin/") for url, _ in fetched), "the editor went through it"
    assert not [url for url in kept if url.startswith("/admin") or "/preview/" in url], kept
    anonymous = browser.new_context().new_page()
    for private in (change, preview, f"{edge.url}/admin/"):
        anonymous.goto(private)
        assert "three feet" not in anonymous.content(), private
        assert "Preview - not published" not in anonymous.content(), private
