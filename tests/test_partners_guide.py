"""The receiver in docs/partners.md works: its code, taken from the page, serves on
127.0.0.1 and takes real deliveries (a correction, a duplicate, an older version that
arrives late, a withdrawal), verifying each signature and applying each version once."""

from __future__ import annotations

import json
import re
import threading
from http.server import HTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test import Client

from stories import editing, publishing
from stories.content.kinds import RevisionKind
from stories.models import WebhookMessage
from stories.partners import delivery, endpoints
from tests.factories import CreditFactory, StoryFactory, approved

GUIDE = Path(__file__).parent.parent / "docs" / "partners.md"


def guide_receiver() -> dict:
    """The page's receiver, as a module namespace."""
    text = GUIDE.read_text()
    section = text[text.index("## A receiver in 40 lines") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace = {"__name__": "receiver"}
    exec(compile(code, str(GUIDE), "exec"), namespace)  # the documented code, as written
    return namespace


@pytest.fixture
def receiver(monkeypatch, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    module = guide_receiver()
    api = Client()

    def fetch(url):  # the API of this test's site, instead of one on the network
        response = api.get(urlsplit(url).path)
        assert response.status_code == 200
        return json.loads(response.content)

    module["fetch"] = fetch
    server = HTTPServer(("127.0.0.1", 0), module["Handler"])
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = endpoints.add_endpoint(url=f"http://127.0.0.1:{server.server_port}/hooks")
    monkeypatch.setenv("WEBHOOK_SECRET", endpoint.secret)
    yield module
    server.shutdown()
    server.server_close()


def test_the_guides_receiver_applies_each_version_once(transactional_db, editor, receiver):
    story = StoryFactory(body="The council voted 5-2.")
    CreditFactory(story=story)
    story_id = str(story.public_id)
    publishing.publish(approved(story), user=editor)
    assert receiver["copies"][story_id]["version"] == 1

    story.body = "The council voted 4-3."
    editing.save_story(story, user=editor, reason="Vote", expected_edit=story.edit_number)
    publishing.publish(
        approved(story), user=editor, kind=RevisionKind.CORRECTION, public_note="4-3."
    )
    copy = receiver["copies"][story_id]
    assert copy["version"] == 2
    assert "4-3" in copy["body_html"]

    # The same message again (a retry), then version 1's message arriving late.
    first, second = WebhookMessage.objects.order_by("pk")
    for message in (second, first):
        delivery.redeliver(message)
    assert receiver["copies"][story_id]["version"] == 2
    assert len(receiver["seen_ids"]) == 2

    publishing.withdraw(approved(story, purpose="withdraw"), user=editor, public_note="Withdrawn.")
    copy = receiver["copies"][story_id]
    assert copy == {
        "version": 3,
        "headline": story.headline,
        "body_html": None,
        "note": "Withdrawn.",
    }
    assert all(m.status == "delivered" for m in WebhookMessage.objects.all())


def test_the_guides_receiver_refuses_a_forged_message(db, receiver):
    status = receiver["receive"](
        b'{"type": "story.corrected"}',
        {"webhook-id": "msg_x", "webhook-timestamp": "1", "webhook-signature": "v1,AAAA"},
        endpoints.new_secret(),
    )
    assert status == 400
