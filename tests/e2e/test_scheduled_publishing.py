"""Scheduled stories, as a new user meets them: ``make run`` publishes the demo's scheduled
story on time, and an editor is told, in words, when a schedule is overdue."""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import socket
import subprocess
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from stories import publishing
from stories.management.demo import DEMO_PASSWORD
from stories.models import Story
from tests.e2e.conftest import log_in
from tests.factories import approved

CHECKOUT = Path(__file__).resolve().parents[2]
#: The demo's scheduled story is due this long after the demo is loaded: time enough to
#: see it scheduled in the admin first, even on a busy machine.
DUE_IN = 15
#: How often the demo server publishes what is due, in seconds.
EVERY = 1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Demo:
    """``make run`` in a process group of its own, its output read line by line."""

    def __init__(self, tmp_path: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {
            key: value
            for key, value in os.environ.items()
            # The demo's own defaults: a fresh SQLite file, its local-memory cache.
            if key not in {"DATABASE_URL", "REDIS_URL", "CACHE_KEY_PREFIX", "DJANGO_ENV"}
        }
        environment.update(
            DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
            NEWSROOM_MEDIA_ROOT=str(tmp_path / "media"),
            PYTHONUNBUFFERED="1",
        )
        self.process = subprocess.Popen(
            [
                "make",
                "--no-print-directory",
                "run",
                f"PORT={self.port}",
                f"DEMO_SCHEDULE_IN={DUE_IN}",
                f"PUBLISH_EVERY={EVERY}",
            ],
            cwd=CHECKOUT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float) -> re.Match:
        """The first line (from here on) matching ``pattern``, within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            self.output.append(line)
            if found := re.search(pattern, line):
                return found
        raise AssertionError(f"no line matching {pattern!r}:\n" + "\n".join(self.output[-40:]))

    def interrupt(self) -> None:
        """Ctrl-C, as a terminal sends it: SIGINT to every process of the group."""
        os.killpg(self.process.pid, signal.SIGINT)
        self.process.wait(timeout=30)

    def running(self, timeout: float = 10) -> list[str]:
        """The group's processes still alive (not zombies waiting to be reaped) once
        ``timeout`` seconds have passed or none is left, as Popen.wait waits, by polling."""
        deadline = time.monotonic() + timeout
        while (alive := self._alive()) and time.monotonic() < deadline:
            threading.Event().wait(0.1)
        return alive

    def _alive(self) -> list[str]:
        alive = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # ended while we looked
            state, group = fields[0], int(fields[2])
            if group == self.process.pid and state != "Z":
                alive.append(stat.parent.name)
        return alive

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


@pytest.fixture
def demo(tmp_path):
    demo = Demo(tmp_path)
    yield demo
    demo.kill()


def seconds_of_day(clock: str) -> int:
    """ "10:30:45 p.m." → seconds since midnight."""
    hours, minutes, seconds, half = re.fullmatch(r"(\d+):(\d+):(\d+) ([ap])\.m\.", clock).groups()
    return (int(hours) % 12 + (12 if half == "p" else 0)) * 3600 + int(minutes) * 60 + int(seconds)


def test_make_run_publishes_the_demos_scheduled_story_on_time(demo, page):
    scheduled = demo.wait_for(r"“(.+)” is scheduled for (\S+ [ap]\.m\.) (\w+)", timeout=120)
    headline, due, zone = scheduled.groups()
    demo.wait_for(r"Publishing scheduled stories when they are due", timeout=60)
    demo.wait_for(r"Quit the server", timeout=60)
    assert zone not in {"UTC", "GMT"}, "the demo's newsroom keeps a real time zone"

    # Before its time: scheduled in the admin, said in the editor's words.
    page.goto(f"{demo.url}/admin/login/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{demo.url}/admin/stories/story/")
    row = page.locator("#result_list tbody tr", has_text=headline)
    expect(row).to_contain_text("Scheduled for")
    row.get_by_role("link", name=headline).click()
    state = page.locator(".story-state", has_text="Scheduled:")
    expect(state).to_contain_text("Scheduled: this story will be published at")
    expect(state).not_to_contain_text("publish_scheduled")
    assert ".." not in state.inner_text()

    # On time: the server's scheduler publishes it within a run of its due time.
    published = demo.wait_for(rf"Published “{re.escape(headline)}” at (\S+ [ap]\.m\.)", DUE_IN + 60)
    late = seconds_of_day(published.group(1)) - seconds_of_day(due)
    assert 0 <= late <= EVERY + 2, f"published {late} seconds after its time"

    page.goto(f"{demo.url}/admin/stories/story/")
    expect(page.locator("#result_list tbody tr", has_text=headline)).to_contain_text("Published")
    page.goto(f"{demo.url}/")
    page.get_by_role("link", name=headline).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(headline)
    times = page.locator(".story-times")
    expect(times).to_contain_text("Published")
    expect(times).to_contain_text(f"{_to_the_minute(published.group(1))} {zone}")
    # Readers read the newsroom's zone, named; machines read UTC.
    expect(times.locator("time").first).to_have_attribute("datetime", re.compile(r"\+00:00$"))

    # Ctrl-C stops the server and its scheduler: nothing of the demo keeps running.
    demo.interrupt()
    assert demo.running() == [], "processes of make run still alive after Ctrl-C"


def _to_the_minute(clock: str) -> str:
    """ "10:30:45 p.m." as reader pages say it, to the minute: "10:30 p.m."."""
    hours, minutes, _, half = re.fullmatch(r"(\d+):(\d+):(\d+) ([ap]\.m\.)", clock).groups()
    return f"{hours}:{minutes} {half}"


def test_an_editor_is_told_when_a_schedule_is_overdue(
    page, live_server, editor, story, monkeypatch
):
    due = timezone.now() + timedelta(hours=1)
    publishing.schedule(approved(story), user=editor, at=due)
    # An hour and a quarter later, and nothing published it: the scheduler is not running.
    later = due + timedelta(minutes=15)
    monkeypatch.setattr(timezone, "now", lambda: later)

    log_in(page, live_server, editor)
    page.goto(f"{live_server.url}/admin/stories/story/")
    row = page.locator("#result_list tbody tr", has_text=story.headline)
    expect(row.locator(".story-warning")).to_contain_text("Overdue: due at")
    row.get_by_role("link", name=story.headline).click()

    state = page.locator(".story-state", has_text="Overdue:")
    expect(state).to_contain_text("Overdue: this story was due to be published at")
    expect(state).to_contain_text("tell whoever runs the site, or publish it now")
    expect(state).not_to_contain_text("publish_scheduled")
    assert Story.objects.get(pk=story.pk).is_scheduled
