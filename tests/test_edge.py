"""The edge for real: two varnishd with the project's VCL in front of the app.

Each edge is Debian's ``varnishd`` with ``deploy/varnish/newsroom.vcl`` and the xkey
module, started on a free port with a working directory of its own
(``deploy/varnish/edge.py``), in front of pytest-django's live server. Publishing in a
test purges both edges (``NEWSROOM_EDGE_PURGE_URLS``), as the worker does in production;
with the test settings' immediate task backend the purge is sent as the publish commits,
so each check reads the edges straight after the publish returns, with no waiting. The
retry test runs the database backend and its worker, as production does.

Skipped, with the reason, only where varnishd is not installed; ``.ci/run`` installs it.
"""

from __future__ import annotations

import os
import re
import threading
from collections import Counter
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import signals
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from deploy.varnish.edge import Varnish, varnishd_path
from stories import editing, publishing, reporting
from stories.content.kinds import CreditRole, RevisionKind
from stories.models import Story
from stories.record import removal
from tests import outage
from tests.adminforms import form_data
from tests.factories import UserFactory, approved
from tests.readerpages import make_story

VARNISH_MISSING = (
    "needs varnishd with the xkey module (Debian: apt-get install varnish varnish-modules; "
    ".ci/run installs them)"
)
if varnishd_path() is None and os.environ.get("NEWSROOM_REQUIRE_VARNISH") == "1":
    raise RuntimeError(f"NEWSROOM_REQUIRE_VARNISH is set: this run {VARNISH_MISSING}")
pytestmark = pytest.mark.skipif(varnishd_path() is None, reason=VARNISH_MISSING)

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's


@pytest.fixture(scope="module")
def two_edges(live_server):
    host, port = urlsplit(live_server.url).hostname, urlsplit(live_server.url).port
    edges = [Varnish([(host, port)], memory="64m").start()]
    try:
        edges.append(Varnish([(host, port)], memory="64m").start())
        yield edges
    finally:
        for edge in edges:
            edge.stop()


@pytest.fixture
def edges(two_edges, settings, transactional_db):
    """Both edges, told of every change; each test starts with nothing stored on them."""
    settings.EDGE_PURGE_URLS = [f"{edge.url}/" for edge in two_edges]
    for edge in two_edges:
        hard_purge(edge, "site")
    yield two_edges


@pytest.fixture
def origin_requests():
    """Requests that reached the origin, by path (the live server runs in this process)."""
    seen = Counter()
    lock = threading.Lock()

    def count(sender, environ=None, **kwargs):
        with lock:
            seen[environ.get("PATH_INFO", "")] += 1

    signals.request_started.connect(count, weak=False)
    yield seen
    signals.request_started.disconnect(count)


def get(edge, path, **kwargs) -> outage.Answer:
    return outage.request(edge.port, "GET", path, **kwargs)


def hard_purge(edge, *keys) -> None:
    answer = outage.request(edge.port, "PURGE", "/", headers={"xkey-purge": " ".join(keys)})
    assert answer.status == 200, answer.text


def cached_everywhere(edges, path) -> list[outage.Answer]:
    """Fetch ``path`` from each edge until it is stored there; the stored answers."""
    answers = []
    for edge in edges:
        get(edge, path)
        answer = get(edge, path)
        assert answer.headers.get("x-cache") == "hit", (edge.url, path, answer.headers)
        answers.append(answer)
    return answers


def editor_user():
    from tests.factories import EDITOR_PERMISSIONS

    return UserFactory(
        username="desk-editor", first_name="Elena", last_name="Editor",
        permissions=EDITOR_PERMISSIONS, is_staff=True,
    )  # fmt: skip


def live_story(editor, **fields):
    story = make_story([("June Okafor", CreditRole.BYLINE, "")], **fields)
    publishing.publish(approved(story), user=editor)
    story.refresh_from_db()
    return story


def correct(story, editor, **changes):
    for name, value in changes.items():
        setattr(story, name, value)
    editing.save_story(story, user=editor, reason="A correction.", expected_edit=story.edit_number)
    story.refresh_from_db()


# -- a hit the second time -----------------------------------------------------------------


def test_public_answers_are_served_by_the_edge_the_second_time(edges, origin_requests):
    editor = editor_user()
    story = live_story(editor, headline="King tide swamps Pier Road")
    paths = [
        story.get_absolute_url(),
        "/",
        story.section.get_absolute_url(),
        "/feeds/latest/rss/",
        "/sitemap.xml",
        f"/stories/{story.slug}/record.json",
        "/search/?q=tide",
    ]
    for path in paths:
        first, second = get(edges[0], path), get(edges[0], path)
        assert first.status == 200 and first.headers["x-cache"] == "miss", path
        assert second.status == 200 and second.headers["x-cache"] == "hit", path
        assert second.body == first.body, path
        assert "age" in second.headers and "via" in second.headers, path
        assert origin_requests[urlsplit(path).path] == 1, f"{path} reached the origin once"
        # The keys are for edges: readers never see them.
        assert "xkey" not in second.headers and "surrogate-key" not in second.headers


def test_a_logged_in_editor_reading_the_site_gets_the_page_every_reader_gets(edges):
    editor = editor_user()
    story = live_story(editor, headline="Ferry timetable changes")
    _, cookies = outage.log_in(edges[0].port, editor.username, PASSWORD)
    assert "sessionid" in cookies

    anonymous = get(edges[0], story.get_absolute_url())
    as_editor = get(edges[0], story.get_absolute_url(), cookies=cookies)

    assert as_editor.headers["x-cache"] == "hit", "the cookie is not part of the page"
    assert as_editor.body == anonymous.body
    assert not as_editor.cookies


# -- purges: every publishing path, every edge ---------------------------------------------


def publish_in_the_admin(story, editor, note):
    approved(story)
    client = Client()
    client.force_login(editor)
    url = reverse("admin:stories_story_publish", args=[story.pk])
    response = client.post(
        url, {"loaded_edit": story.edit_number, "kind": "correction", "public_note": note}
    )
    assert response.status_code == 302, response.content.decode()[:2000]


def publish_with_the_service(story, editor, note):
    # The path of the importer, the commands and the demo loader.
    publishing.publish(approved(story), user=editor, kind=RevisionKind.CORRECTION, public_note=note)


def publish_from_a_report(story, editor, note):
    report = reporting.submit_report(
        story.slug, seen_number=1, description="The water was three feet deep."
    )
    reporting.publish_from_reports(
        approved(story), [report], user=editor, kind=RevisionKind.CORRECTION, public_note=note
    )


@pytest.mark.parametrize(
    "publish_correction",
    [publish_in_the_admin, publish_with_the_service, publish_from_a_report],
    ids=["admin", "service (importer, commands)", "from reader reports"],
)
def test_a_correction_is_at_every_edge_when_the_publish_returns(edges, publish_correction):
    editor = editor_user()
    story = live_story(editor, body="The water stood two feet deep near the market.")
    other = live_story(editor, headline="Council meets on Monday")
    api_story = f"/api/v1/stories/{story.public_id}"
    paths = [story.get_absolute_url(), f"/stories/{story.slug}/history/", "/", "/corrections/"]
    # The partner API's anonymous answers are kept at the edge and purged the same way.
    paths += [api_story, "/api/v1/stories", "/api/v1/corrections"]
    for path in paths:
        cached_everywhere(edges, path)
    cached_everywhere(edges, other.get_absolute_url())
    cached_everywhere(edges, f"/api/v1/stories/{other.public_id}")

    correct(story, editor, body="The water stood three feet deep near the market.")
    publish_correction(story, editor, "An earlier version misstated the depth.")

    for edge in edges:
        page = get(edge, story.get_absolute_url())
        assert page.headers["x-cache"] == "miss", edge.url
        assert "three feet deep" in page.text and "two feet deep" not in page.text
        assert "An earlier version misstated the depth." in page.text
        assert "Version 2" in get(edge, f"/stories/{story.slug}/history/").text
        assert "An earlier version misstated the depth." in get(edge, "/corrections/").text
        answer = get(edge, api_story)
        assert answer.headers["x-cache"] == "miss", edge.url
        assert "three feet deep" in answer.text and "two feet deep" not in answer.text
        assert "An earlier version misstated the depth." in get(edge, "/api/v1/corrections").text
        # Exactly the keys concerned: another story's page and answer stay stored.
        assert get(edge, other.get_absolute_url()).headers["x-cache"] == "hit"
        assert get(edge, f"/api/v1/stories/{other.public_id}").headers["x-cache"] == "hit"


def test_a_scheduled_story_appears_on_every_edges_lists_when_published(edges):
    editor = editor_user()
    live_story(editor, headline="Council meets on Monday")
    story = make_story([("June Okafor", CreditRole.BYLINE, "")], headline="Night ferry returns")
    for path in ("/", "/feeds/latest/atom/"):
        cached_everywhere(edges, path)
    publishing.schedule(approved(story), user=editor, at=timezone.now() + timedelta(seconds=1))
    Story.objects.filter(pk=story.pk).update(scheduled_at=timezone.now() - timedelta(seconds=1))

    call_command("publish_scheduled", verbosity=0)

    for edge in edges:
        assert "Night ferry returns" in get(edge, "/").text, edge.url
        assert "Night ferry returns" in get(edge, "/feeds/latest/atom/").text, edge.url


def test_a_withdrawal_turns_every_edges_copy_into_the_410_page(edges):
    editor = editor_user()
    story = live_story(editor, headline="Mayor to resign")
    cached_everywhere(edges, story.get_absolute_url())
    approved(story, purpose="withdraw")
    client = Client()
    client.force_login(editor)

    response = client.post(
        reverse("admin:stories_story_withdraw", args=[story.pk]),
        {"public_note": "Withdrawn pending a legal review."},
    )

    assert response.status_code == 302
    for edge in edges:
        page = get(edge, story.get_absolute_url())
        assert page.status == 410, edge.url
        assert "Withdrawn pending a legal review." in page.text
        again = get(edge, story.get_absolute_url())
        assert again.status == 410 and again.headers["x-cache"] == "hit", "the 410 is kept"
        assert "Mayor to resign" not in get(edge, "/").text


def test_a_section_rename_purges_its_pages_and_only_them(edges):
    editor = editor_user()
    story = live_story(editor, headline="Harbor wall vote")
    section = story.section
    for path in (section.get_absolute_url(), f"{section.get_absolute_url()}feeds/atom/"):
        cached_everywhere(edges, path)
    cached_everywhere(edges, story.get_absolute_url())

    section.name = "Harbor and Coast"
    editing.save_section(section, user=editor, reason="The desk's new name.")

    for edge in edges:
        assert "Harbor and Coast" in get(edge, section.get_absolute_url()).text, edge.url
        assert "Harbor and Coast" in get(edge, f"{section.get_absolute_url()}feeds/atom/").text
        # The story shows its section as published in its version: not purged.
        assert get(edge, story.get_absolute_url()).headers["x-cache"] == "hit"


def test_a_contributors_edit_and_a_legal_removal_reach_every_edge(edges):
    editor = editor_user()
    story = live_story(editor, body="The first version says something libellous.")
    contributor = story.credits.get().contributor
    correct(story, editor, body="The second version does not.")
    publishing.publish(
        approved(story), user=editor, kind=RevisionKind.CORRECTION, public_note="Removed a claim."
    )
    first_version = reverse("reader:revision", args=[story.slug, 1])
    for path in (contributor.get_absolute_url(), first_version):
        cached_everywhere(edges, path)

    contributor.bio = "June Okafor covers the harbor."
    editing.save_contributor(contributor, user=editor, reason="A bio.")
    superuser = UserFactory(username="chief", is_staff=True, is_superuser=True)
    removal.remove_content(
        story, [1], user=superuser, public_note="Removed by court order.", internal_reason="Order."
    )

    for edge in edges:
        assert "June Okafor covers the harbor." in get(edge, contributor.get_absolute_url()).text
        page = get(edge, first_version).text
        assert "Removed by court order." in page and "libellous" not in page


# -- nothing private is ever stored ------------------------------------------------------


def test_no_draft_preview_admin_or_personal_answer_is_ever_stored(edges):
    """An editor's day through the edge, then a sweep: every private address, fetched
    through the edge as an anonymous reader, reaches the origin and shows nothing of it."""
    editor = editor_user()
    story = live_story(editor, headline="Storm closes the causeway")
    draft = make_story([("June Okafor", CreditRole.BYLINE, "")], headline="Secret draft plans")
    edge = edges[0]
    login, cookies = outage.log_in(edge.port, editor.username, PASSWORD)
    assert login.status == 302
    private = [
        "/admin/",
        reverse("admin:stories_story_changelist"),
        reverse("admin:stories_story_change", args=[draft.pk]),
        reverse("admin:stories_story_change", args=[story.pk]),
        reverse("admin:stories_story_publish", args=[story.pk]),
        reverse("reader:preview", args=[draft.slug]),
        reverse("reader:preview", args=[story.slug]),
        reverse("reader:report", args=[story.slug]),
    ]
    get(edge, story.get_absolute_url(), cookies=cookies)  # the editor reads the site too
    for path in private:
        seen = get(edge, path, cookies=cookies)
        assert seen.status == 200, (path, seen.status)
    # The editor saves the draft through the edge, as a browser does.
    change = reverse("admin:stories_story_change", args=[draft.pk])
    client = Client()
    client.force_login(editor)
    fields = form_data(client.get(change), headline="Secret draft plans, revised")
    token = re.search(
        r'name="csrfmiddlewaretoken" value="([^"]+)"', get(edge, change, cookies=cookies).text
    )
    fields["csrfmiddlewaretoken"] = token.group(1)
    saved = outage.request(edge.port, "POST", change, cookies=cookies, body=_encode(fields))
    assert saved.status == 302, saved.text[:2000]
    # A reader sends a report through the edge.
    form = get(edge, reverse("reader:report", args=[story.slug]))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    sent = outage.request(
        edge.port, "POST", reverse("reader:report", args=[story.slug]),
        cookies=form.cookies,
        body=_encode({"csrfmiddlewaretoken": token, "version": 1, "description": "A typo here."}),
    )  # fmt: skip
    assert sent.status == 302, sent.text[:2000]

    # The sweep: what did the edge keep? Every private answer went to one reader only.
    fetched = edge.fetches()
    kept = {url for url, storage in fetched if storage != "Transient"}
    assert {url for url, _ in fetched} >= set(private), "the journey went through the edge"
    assert kept.isdisjoint(private), kept & set(private)
    assert not [url for url in kept if url.startswith("/admin") or "/preview/" in url]
    for path in private:
        anonymous = get(edge, path)
        assert "Secret draft plans" not in anonymous.text, path
        assert editor.username not in anonymous.text, path
    # The public page the editor read while logged in is the readers' page.
    page = get(edge, story.get_absolute_url(), cookies=cookies)
    assert page.headers["x-cache"] == "hit"
    assert "Secret draft plans" not in page.text and editor.username not in page.text


def _encode(fields: dict) -> str:
    from urllib.parse import urlencode

    return urlencode(fields, doseq=True)


# -- when the origin fails -----------------------------------------------------------------


def test_with_the_origin_down_the_edge_keeps_serving_the_last_good_page(
    edges, live_server, settings
):
    """The origin unreachable (a proxy in front of it closed): stored pages are answered,
    purged ones too, from the stale copy a soft purge keeps."""
    editor = editor_user()
    story = live_story(editor, headline="Bridge reopens")
    host, port = urlsplit(live_server.url).hostname, urlsplit(live_server.url).port
    proxy = outage.TcpProxy(host, port)
    # Varnish waits 0.25 s after a refused connection before it tries the origin again:
    # not here, so that the origin's return shows at once.
    edge = Varnish(
        [(host, proxy.port)], memory="32m", parameters={"backend_remote_error_holddown": "0"}
    ).start()
    try:
        settings.EDGE_PURGE_URLS = [f"{edge.url}/"]
        path = story.get_absolute_url()
        get(edge, path)
        assert get(edge, path).headers["x-cache"] == "hit"
        correct(story, editor, dek="Traffic resumes at noon.")
        proxy.down()
        publishing.publish(
            approved(story), user=editor, kind=RevisionKind.UPDATE, public_note="Times."
        )

        for _ in range(3):
            answer = get(edge, path)
            assert answer.status == 200 and answer.headers["x-cache"] == "stale"
            assert "Bridge reopens" in answer.text
        assert get(edge, "/stories/never-cached/").status == 503, "nothing stale to serve"

        proxy.up()
        assert "Traffic resumes at noon." in get(edge, path).text, "the purge was kept"
    finally:
        proxy.close()
        edge.stop()


REDIS_URL = os.environ.get("REDIS_URL", "")


@pytest.mark.postgres
@pytest.mark.skipif(not REDIS_URL, reason="needs a Redis server, as tests/test_outages.py")
def test_with_the_origins_database_stopped_the_edge_keeps_serving(tmp_path):
    """gunicorn on PostgreSQL behind the outage tests' proxy, its own reader cache off (so
    the origin itself answers 503): the edge serves what it stored, the origin's 503 for
    the rest, and never keeps the error."""
    template = outage.template_for_this_run(tmp_path / "static")
    template.create()
    server = outage.AppServer(
        template, REDIS_URL, tmp_path / "gunicorn.log", NEWSROOM_READER_CACHE_TIMEOUT="0"
    )
    server.start()
    edge = Varnish([(outage.HOST, server.port)], memory="32m").start()
    try:
        for path in ("/stories/story-0/", "/stories/story-1/", "/"):
            get(edge, path)
        server.postgres.down()

        answer = get(edge, "/stories/story-0/")
        assert answer.status == 200 and answer.headers["x-cache"] == "hit"
        assert b"Ferry timetable changes 0" in answer.body
        soft_purged = outage.request(edge.port, "PURGE", "/", headers={"xkey-softpurge": "site"})
        assert soft_purged.status == 200
        for path, headline in (("/stories/story-1/", b"Ferry timetable changes 1"), ("/", b"")):
            answer = get(edge, path)
            assert answer.status == 200 and answer.headers["x-cache"] == "stale", path
            assert headline in answer.body
        unavailable = get(edge, "/stories/story-5/")
        assert unavailable.status == 503 and "temporarily unavailable" in unavailable.text
        assert get(edge, "/stories/story-5/").headers.get("x-cache") != "hit"
    finally:
        edge.stop()
        server.stop()
        template.drop()


def test_with_the_purge_target_down_publishes_succeed_and_the_purge_lands_later(
    edges, live_server, settings
):
    """The database task backend and its worker, as in production: the edge unreachable
    for purges, the publish commits, the purge fails and is retried until it lands."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    editor = editor_user()
    story = live_story(editor, body="The ferry runs twice a day.")
    edge = edges[0]
    proxy = outage.TcpProxy(outage.HOST, edge.port)
    settings.EDGE_PURGE_URLS = [f"http://{outage.HOST}:{proxy.port}/"]
    try:
        path = story.get_absolute_url()
        cached_everywhere([edge], path)
        DBTaskResult.objects.all().delete()
        proxy.down()
        correct(story, editor, body="The ferry runs three times a day.")
        revision = publishing.publish(
            approved(story),
            user=editor,
            kind=RevisionKind.CORRECTION,
            public_note="Three crossings.",
        )
        assert revision.number == 2, "the publish does not wait for the edge"

        call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
        failed = DBTaskResult.objects.get(status="FAILED")
        assert failed.task_path.endswith("purge_edge")
        retry = DBTaskResult.objects.get(status="READY")
        assert retry.args_kwargs["args"][3] == 2, "the second attempt"
        assert "twice a day" in get(edge, path).text, "not purged yet"

        proxy.up()
        DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
        call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)

        assert DBTaskResult.objects.get(pk=retry.pk).status == "SUCCESSFUL"
        assert "three times a day" in get(edge, path).text
    finally:
        proxy.close()


# -- request coalescing --------------------------------------------------------------------


def test_two_hundred_readers_right_after_a_purge_cost_the_origin_one_render(edges, origin_requests):
    editor = editor_user()
    story = live_story(editor, headline="Election night results")
    path = story.get_absolute_url()
    edge = edges[0]
    cached_everywhere([edge], path)
    correct(story, editor, dek="Counting continues.")
    publish_with_the_service(story, editor, "The count was updated.")
    origin_requests.clear()
    before = edge.counter("MAIN.backend_req")

    answers = []
    start = threading.Barrier(200)

    def read():
        start.wait()
        answers.append(get(edge, path, timeout=60))

    readers = [threading.Thread(target=read) for _ in range(200)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()

    assert [answer.status for answer in answers] == [200] * 200
    assert all("Counting continues." in answer.text for answer in answers)
    assert origin_requests[path] <= 2, origin_requests
    assert edge.counter("MAIN.backend_req") - before <= 2
