"""Journeys in a real browser: Debian's Chromium driven by Playwright against the site
served by a real server on a free port (pytest-django's ``live_server``).

Run with ``make e2e`` (``make test`` leaves them out: they need Chromium). The browser
is ``$NEWSROOM_CHROMIUM`` (default ``/usr/bin/chromium``); no tool downloads one. When a
journey fails, a screenshot and the page's HTML are written to ``$E2E_ARTIFACTS``
(default ``e2e-artifacts/``), which CI prints.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from stories.content.kinds import CreditRole, RevisionKind
from tests.factories import EDITOR_PERMISSIONS, UserFactory
from tests.readerpages import at, make_story, publish

# Playwright's sync API runs an event loop in the test's thread; the test also sets up
# data through the ORM, which Django refuses inside a running loop unless told it is safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's
ARTIFACTS = Path(os.environ.get("E2E_ARTIFACTS", "e2e-artifacts"))

#: Flags that keep a headless Chromium quiet on a machine without internet access.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("NEWSROOM_CHROMIUM", "/usr/bin/chromium"),
        "args": CHROMIUM_ARGS,
    }


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep what the browser showed when a journey fails: a screenshot and the HTML."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", item.nodeid)
    for key, value in item.funcargs.items():
        if hasattr(value, "screenshot") and hasattr(value, "content"):
            try:
                value.screenshot(path=str(ARTIFACTS / f"{name}-{key}.png"), full_page=True)
                (ARTIFACTS / f"{name}-{key}.html").write_text(value.content(), encoding="utf-8")
            except Exception as error:  # the page may be gone; the report must still print
                report.sections.append(("e2e artifacts", f"could not save {key}: {error}"))


@pytest.fixture
def second_editor(db):
    return UserFactory(
        username="desk", first_name="Dana", last_name="Desk", permissions=EDITOR_PERMISSIONS
    )


@pytest.fixture
def corrected_story(editor):
    """A live story: first published, corrected, then updated, with a byline and a tagline."""
    story = make_story(
        [
            ("June Okafor", CreditRole.BYLINE, ""),
            ("Dev Patel", CreditRole.CONTRIBUTED, "the Coastal Ledger"),
        ],
        headline="King tide swamps Pier Road",
        slug="king-tide-swamps-pier-road",
        dek="Eleven shops took on water.",
        dateline="PORT HAVEN",
        body="The tide came on Tuesday night.\n\nThe water stood two feet deep near the market.",
    )
    publish(story, editor, when=at(-30))
    publish(
        story, editor, when=at(-29), kind=RevisionKind.CORRECTION,
        note="An earlier version misstated the night of the tide.",
        body="The tide came on Sunday night.\n\nThe water stood two feet deep near the market.",
    )  # fmt: skip
    publish(
        story, editor, when=at(-28), kind=RevisionKind.UPDATE,
        note="This story has been updated with the council's response.",
        body=story.body + "\n\nThe council will meet on Monday.",
    )  # fmt: skip
    return story


def a_colleague_approves(page, story, purpose="publish"):
    """A second editor approves the story's current edit from their own desk (through the
    review service: the two-person rule), and the page the editor is on is reloaded."""
    from tests.factories import approved

    approved(story, purpose=purpose)
    page.reload()


def log_in(page, live_server, user):
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/admin/$"))
