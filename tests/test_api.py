"""The read API (stories/api/): published data only, stable ids and canonical addresses,
cursor pages that stay correct while stories are published, conditional GETs, the
reader's Cache-Control, invalidation with the reader's cache, RFC 9457 problems, rate
limits and partner keys."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from django.core.exceptions import ValidationError
from django.test import Client, TestCase
from django.urls import reverse

from stories import publishing
from stories.content.kinds import CreditRole, RevisionKind
from stories.edge import keys as edge_keys
from stories.partners import keys
from tests.factories import approved
from tests.readerpages import at, publish, published_story

pytestmark = pytest.mark.django_db

SITE = "https://news.example"


@pytest.fixture(autouse=True)
def site(settings):
    settings.PUBLICATION_URL = SITE


def api(name, **kwargs):
    return reverse(f"api:{name}", kwargs=kwargs)


def get_json(client, url, status=200, **headers):
    response = client.get(url, **headers)
    assert response.status_code == status, response.content[:500]
    return response, json.loads(response.content) if response.content else None


def corrected_story(editor, **fields):
    story = published_story(
        editor,
        credits=[
            ("Maria Ortiz", CreditRole.BYLINE, ""),
            ("Dev Patel", CreditRole.CONTRIBUTED, "the Coastal Ledger"),
        ],
        **fields,
    )
    publish(
        story,
        editor,
        when=at(1),
        kind=RevisionKind.CORRECTION,
        note="The vote was 4-3, not 5-2.",
        reason="Clerk's minutes.",
        body="The council voted 4-3 on Tuesday.",
    )
    return story


# -- one story ---------------------------------------------------------------------------


def test_a_story_answers_with_its_current_version_ids_and_canonical_addresses(client, editor):
    story = corrected_story(editor)
    story_id = str(story.public_id)

    response, body = get_json(client, api("story", story_id=story_id))

    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert body["id"] == story_id
    assert body["version"] == 2
    assert body["kind"] == "correction"
    assert body["public_note"] == "The vote was 4-3, not 5-2."
    assert body["url"] == f"{SITE}/stories/{story.slug}/"
    assert body["api_url"] == f"{SITE}/api/v1/stories/{story_id}"
    assert body["ninjs_url"] == f"{SITE}/api/v1/stories/{story_id}/ninjs"
    current = body["current"]
    assert current["number"] == 2
    assert current["body"] == "The council voted 4-3 on Tuesday."
    assert "<p>The council voted 4-3 on Tuesday.</p>" in current["body_html"]
    assert current["byline"] == "By Maria Ortiz"
    assert [credit["name"] for credit in current["credits"]] == ["Maria Ortiz", "Dev Patel"]
    assert current["credits"][0]["url"].startswith(f"{SITE}/contributors/")
    assert current["url"] == f"{SITE}/stories/{story.slug}/history/2/"
    # The transparency record: the version's hash, its leaf and the page with its proof.
    revision = story.revisions.get(number=2)
    assert current["record"]["hash"] == revision.content_hash
    assert current["record"]["previous_hash"] == story.revisions.get(number=1).content_hash
    assert current["record"]["leaf_index"] == revision.log_leaf.index
    assert current["record"]["record_url"] == f"{SITE}/stories/{story.slug}/record.json"
    # Who published and why never leave the newsroom.
    assert "Clerk" not in response.content.decode()
    assert str(editor.username) not in response.content.decode()


def test_every_version_stays_readable_by_number(client, editor):
    story = corrected_story(editor)

    _, first = get_json(client, api("version", story_id=story.public_id, number=1))
    _, listing = get_json(client, api("versions", story_id=story.public_id))

    assert first["number"] == 1
    assert first["kind"] == "first"
    assert first["body"] == story.revisions.get(number=1).body
    assert [item["number"] for item in listing["items"]] == [2, 1]
    assert listing["items"][0]["api_url"].endswith("/versions/2")
    assert listing["url"] == f"{SITE}/stories/{story.slug}/history/"
    assert listing["items"][0]["story_url"] == f"{SITE}/stories/{story.slug}/"
    assert listing["items"][0]["record_url"] == f"{SITE}/stories/{story.slug}/record.json"
    get_json(client, api("version", story_id=story.public_id, number=3), status=404)


def test_drafts_never_reach_the_api(client, editor, story):
    """A never-published story has no address; a published one's unpublished edits
    stay out of every answer."""
    get_json(client, api("story", story_id=story.public_id), status=404)
    get_json(client, api("story_ninjs", story_id=story.public_id), status=404)
    publish(story, editor, when=at(0))
    story.body = "DRAFT SENTENCE nobody has approved."
    story.headline = "DRAFT HEADLINE"
    story.save()

    answers = [
        client.get(url).content.decode()
        for url in (
            api("stories"),
            api("story", story_id=story.public_id),
            api("story_ninjs", story_id=story.public_id),
            api("versions", story_id=story.public_id),
            api("version", story_id=story.public_id, number=1),
            api("corrections"),
            api("sections"),
            api("contributors"),
        )
    ]
    assert not any("DRAFT" in answer for answer in answers)


def test_a_withdrawn_story_keeps_its_record_not_its_text(client, editor):
    story = corrected_story(editor)
    with_note = "Withdrawn: the main source retracted the account."
    with TestCase.captureOnCommitCallbacks(execute=True):
        publishing.withdraw(approved(story, purpose="withdraw"), user=editor, public_note=with_note)

    _, body = get_json(client, api("story", story_id=story.public_id))
    _, old = get_json(client, api("version", story_id=story.public_id, number=1))
    _, listing = get_json(client, api("stories"))

    assert body["withdrawn"] is True
    assert body["kind"] == "withdrawal"
    assert body["public_note"] == with_note
    assert body["headline"] == story.revisions.get(number=1).headline
    for version in (body["current"], old):
        assert version["withdrawn"] is True
        assert version["headline"]
        for field in ("dek", "body", "body_html", "byline", "tagline", "dateline", "image", "url"):
            assert version[field] is None, field
        assert version["credits"] == []
        assert version["record"]["hash"]
    assert body["dek"] is None and body["byline"] is None
    assert listing["items"][0]["withdrawn"] is True
    assert "4-3 on Tuesday" not in json.dumps([body, old, listing])
    # Comparing the text of a withdrawn story's versions is refused like reading it.
    get_json(client, api("compare", story_id=story.public_id, old=1, new=2), status=404)


def test_the_comparison_of_two_versions_is_structured(client, editor):
    story = corrected_story(editor)

    _, body = get_json(client, api("compare", story_id=story.public_id, old=1, new=2))

    assert body["has_changes"] is True
    fields = {field["name"]: field for field in body["fields"]}
    assert fields["headline"]["changed"] is False
    assert fields["body"]["changed"] is True
    assert fields["body"]["new"] == "The council voted 4-3 on Tuesday."
    assert any(block["kind"] == "changed" for block in fields["body"]["blocks"])
    assert body["url"] == f"{SITE}/stories/{story.slug}/history/1/compare/2/"
    backwards = client.get(api("compare", story_id=story.public_id, old=2, new=1))
    assert backwards.status_code == 301
    assert backwards["Location"] == api("compare", story_id=story.public_id, old=1, new=2)
    _, problem = get_json(
        client, api("compare", story_id=story.public_id, old=2, new=2), status=404
    )
    assert problem["detail"] == "Version 2 compared with itself has no differences."


# -- lists -------------------------------------------------------------------------------


def test_stories_filter_by_section_contributor_kind_and_time(client, editor):
    corrected = corrected_story(editor)
    other = published_story(editor, credits=[("Ana Ruiz", CreditRole.BYLINE, "")], when=at(2))
    contributor = corrected.credits.get(role=CreditRole.CONTRIBUTED).contributor.slug

    def ids(**query):
        _, body = get_json(client, api("stories") + "?" + urlencode(query))
        return [item["id"] for item in body["items"]]

    assert ids() == [str(other.public_id), str(corrected.public_id)]
    assert ids(section=corrected.section.slug) == [str(corrected.public_id)]
    assert ids(contributor=contributor) == [str(corrected.public_id)]
    assert ids(kind="correction") == [str(corrected.public_id)]
    assert ids(kind="first") == [str(other.public_id)]
    assert ids(modified_since="2025-03-04T16:00:00Z") == [str(other.public_id)]
    assert ids(section="no-such-section") == []


def walk(client, url):
    """Every page of a list from ``url``, following ``next``."""
    seen, pages = [], 0
    while url:
        _, body = get_json(client, url)
        seen += [item["id"] for item in body["items"]]
        url, pages = body["next"], pages + 1
    return seen, pages


def test_a_walk_newest_first_neither_repeats_nor_skips_while_stories_are_published(client, editor):
    stories = [published_story(editor, when=at(hour)) for hour in range(5)]
    _, first = get_json(client, api("stories") + "?limit=2")
    assert [item["id"] for item in first["items"]] == [str(s.public_id) for s in stories[:2:-1]]

    # Published during the walk: two new stories, and an update of one not yet seen.
    newcomers = [published_story(editor, when=at(10 + hour)) for hour in range(2)]
    publish(
        stories[1], editor, when=at(20), kind=RevisionKind.UPDATE, note="More detail.", dek="New."
    )

    rest, _ = walk(client, first["next"])
    seen = [item["id"] for item in first["items"]] + rest
    assert len(seen) == len(set(seen)), "no story twice"
    # Every story that did not change during the walk is seen exactly once; what changed
    # or appeared lies before the cursor, for the next walk.
    assert set(seen) == {str(s.public_id) for s in stories} - {str(stories[1].public_id)}
    assert not {str(s.public_id) for s in newcomers} & set(seen)


def test_a_walk_oldest_first_reaches_every_story_published_during_it(client, editor):
    stories = [published_story(editor, when=at(hour)) for hour in range(4)]
    _, first = get_json(client, api("stories") + "?order=oldest&limit=2")
    assert [item["id"] for item in first["items"]] == [str(s.public_id) for s in stories[:2]]

    newcomer = published_story(editor, when=at(10))
    publish(
        stories[0],
        editor,
        when=at(11),
        kind=RevisionKind.CORRECTION,
        note="Fixed a name.",
        dek="Fixed.",
    )

    rest, _ = walk(client, first["next"])
    # The rest in the order they last changed: the walk ends with what changed during it.
    assert rest == [
        str(stories[2].public_id),
        str(stories[3].public_id),
        str(newcomer.public_id),
        str(stories[0].public_id),
    ]


def test_cursors_are_checked(client, editor):
    published_story(editor)
    for cursor in ("not-a-cursor", "n", "x12", "n-1", "n1234567890123456789"):
        response, problem = get_json(client, api("stories") + f"?cursor={cursor}", status=400)
        assert response["Content-Type"] == "application/problem+json"
        assert "cursor" in problem["detail"]
        assert problem["errors"][0]["parameter"] == "cursor"


def test_corrections_sections_and_contributors(client, editor):
    story = corrected_story(editor)
    draft_only = published_story(editor, credits=[("Lena Brooks", CreditRole.BYLINE, "")])
    publishing.withdraw(
        approved(draft_only, purpose="withdraw"), user=editor, public_note="Withdrawn."
    )

    _, corrections = get_json(client, api("corrections"))
    _, sections = get_json(client, api("sections"))
    _, contributors = get_json(client, api("contributors"))
    _, one = get_json(client, api("contributor", slug=contributors[0]["slug"]))

    assert [(item["story"], item["number"]) for item in corrections["items"]] == [
        (str(story.public_id), 2)
    ]
    assert corrections["items"][0]["url"] == f"{SITE}/stories/{story.slug}/history/1/compare/2/"
    assert story.section.slug in [item["slug"] for item in sections]
    # Credited on live stories only: the withdrawn story's byline is not listed.
    assert sorted(item["name"] for item in contributors) == ["Dev Patel", "Maria Ortiz"]
    assert one["stories_api_url"] == f"{SITE}/api/v1/stories?contributor={one['slug']}"
    get_json(client, api("section", slug="nowhere"), status=404)
    get_json(client, api("contributor", slug="nobody"), status=404)


# -- HTTP: caching, conditional GETs, problems ---------------------------------------------


def test_answers_carry_the_readers_cache_control_etag_and_surrogate_keys(client, editor):
    story = corrected_story(editor)
    url = api("story", story_id=story.public_id)

    response = client.get(url)

    # As the reader's pages: the same Cache-Control, and the edge's keys for the story.
    page = client.get(story.get_absolute_url())
    assert response["Cache-Control"] == page["Cache-Control"]
    assert "s-maxage" in response["Cache-Control"]
    assert response["ETag"].startswith('"')
    assert response["Last-Modified"]
    assert response["xkey"] == response["Surrogate-Key"]
    assert set(response["xkey"].split()) == {edge_keys.story(story.public_id), edge_keys.SITE}
    assert edge_keys.story(story.public_id) in page["xkey"].split()
    listing = client.get(api("stories"))["xkey"].split()
    assert {edge_keys.LATEST, edge_keys.story(story.public_id)} <= set(listing)
    corrections = client.get(api("corrections"))["xkey"].split()
    assert edge_keys.CORRECTIONS in corrections
    sections = client.get(api("sections"))["xkey"].split()
    assert {edge_keys.SECTIONS, edge_keys.section(story.section.slug)} <= set(sections)


def test_conditional_gets_answer_304(client, editor):
    story = corrected_story(editor)
    url = api("story", story_id=story.public_id)
    first = client.get(url)

    by_etag = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    by_time = client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])

    assert by_etag.status_code == 304
    assert by_time.status_code == 304
    assert by_etag.content == b""
    assert client.get(url, HTTP_IF_NONE_MATCH='"stale"').status_code == 200


def test_a_publish_makes_cached_answers_stale_with_the_readers_pages(client, editor):
    story = corrected_story(editor)
    url = api("story", story_id=story.public_id)
    page = reverse("reader:story", kwargs={"slug": story.slug})
    assert client.get(url)["X-Api-Cache"] == "miss"
    assert client.get(url)["X-Api-Cache"] == "hit"
    assert client.get(api("stories"))["X-Api-Cache"] == "miss"
    assert client.get(page)["X-Reader-Cache"] == "miss"
    etag = client.get(url)["ETag"]

    publish(
        story,
        editor,
        when=at(5),
        kind=RevisionKind.CLARIFICATION,
        note="Clarified the date.",
        dek="Tuesday.",
    )

    response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response["X-Api-Cache"] == "miss"
    assert json.loads(response.content)["version"] == 3
    assert client.get(api("stories"))["X-Api-Cache"] == "miss"
    assert client.get(page)["X-Reader-Cache"] == "miss"


def test_a_cached_answer_costs_no_query(client, editor, django_assert_num_queries):
    story = corrected_story(editor)
    url = api("version", story_id=story.public_id, number=2)
    client.get(url)
    with django_assert_num_queries(0):
        assert client.get(url)["X-Api-Cache"] == "hit"


@pytest.mark.parametrize(
    ("path", "status", "parameter"),
    [
        ("/api/v1/stories/not-a-uuid", 400, "story_id"),
        ("/api/v1/stories?limit=0", 400, "limit"),
        ("/api/v1/stories?limit=abc", 400, "limit"),
        ("/api/v1/stories?kind=rumour", 400, "kind"),
        ("/api/v1/stories?modified_since=yesterday", 400, "modified_since"),
        ("/api/v1/stories?modified_since=0.5", 400, "modified_since"),
        ("/api/v1/stories?modified_since=2025-03-04T14:30:00", 400, "modified_since"),
        ("/api/v1/stories?modified_since=2025-02-30T14:30:00Z", 400, "modified_since"),
        ("/api/v1/stories?section=a%20b", 400, "section"),
        ("/api/v1/stories/6a1f4b54-1111-4222-8333-444455556666", 404, None),
        (
            "/api/v1/stories/6a1f4b54-1111-4222-8333-444455556666/versions/99999999999",
            400,
            "number",
        ),
    ],
)
def test_errors_are_problem_details(client, db, path, status, parameter):
    response, problem = get_json(client, path, status=status)

    assert response["Content-Type"] == "application/problem+json"
    assert response["Cache-Control"] == "no-store"
    assert problem["type"] == "about:blank"
    assert problem["status"] == status
    assert problem["title"] in ("Bad Request", "Not Found")
    assert problem["instance"] == path.split("?")[0]
    assert problem["detail"]
    if parameter:
        assert parameter in problem["detail"]
        assert parameter in [error["parameter"] for error in problem["errors"]]


def test_the_schema_and_the_docs_page_are_served(client, db):
    response, schema = get_json(client, "/api/v1/openapi.json")
    docs = client.get("/api/v1/docs")

    assert schema["openapi"].startswith("3.1")
    assert "/api/v1/stories/{story_id}/versions/{number}/ninjs" in schema["paths"]
    errors = schema["paths"]["/api/v1/stories"]["get"]["responses"]["404"]["content"]
    assert list(errors) == ["application/problem+json"]
    assert docs.status_code == 200
    assert b"swagger-ui-bundle.js" in docs.content
    assert "script-src 'self'" in docs["Content-Security-Policy"]


# -- keys and rate limits -------------------------------------------------------------------


@pytest.fixture
def limits(settings):
    settings.RATELIMIT_ENABLE = True
    settings.API_ANON_RATE = "3/m"
    settings.API_PARTNER_RATE = "6/m"


def test_anonymous_clients_meet_a_modest_limit_and_partners_a_higher_one(db, editor, limits):
    published_story(editor)
    anonymous = Client(REMOTE_ADDR="198.51.100.20")
    key, raw = keys.create_key(name="Island Gazette app", contact="dev@gazette.example")
    partner = Client(REMOTE_ADDR="198.51.100.20", HTTP_AUTHORIZATION=f"Bearer {raw}")

    statuses = [anonymous.get(api("stories")).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = anonymous.get(api("stories"))
    assert refused["Retry-After"].isdigit()
    assert refused["Content-Type"] == "application/problem+json"
    assert "partner key" in json.loads(refused.content)["detail"]

    # The same address with a key counts against the key's own, higher limit.
    assert [partner.get(api("stories")).status_code for _ in range(7)] == [200] * 6 + [429]
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_a_revoked_or_unknown_key_is_refused(db, editor):
    key, raw = keys.create_key(name="Valley Courier", contact="web@courier.example")
    url = api("stories")
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get(url).status_code == 200

    keys.revoke(key)

    for header in (f"Bearer {raw}", "Bearer nrk_guessed", "Bearer x" * 3):
        response = Client(HTTP_AUTHORIZATION=header).get(url)
        assert response.status_code == 401
        assert response["Content-Type"] == "application/problem+json"
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_keys_are_stored_hashed_and_need_a_name_and_contact(db, editor):
    key, raw = keys.create_key(name="Coastal Ledger", contact="ops@ledger.example", user=editor)

    assert raw.startswith("nrk_") and len(raw) > 40
    assert raw not in json.dumps(list(type(key).objects.values()), default=str)
    assert key.prefix == raw[:10]
    assert keys.authenticate(raw) == key
    history = key.history.get()
    assert history.history_user == editor
    assert not hasattr(history, "key_hash")
    with pytest.raises(ValidationError) as refused:
        keys.create_key(name=" ", contact="not an address")
    assert set(refused.value.message_dict) == {"name", "contact"}


def test_answers_need_a_bounded_number_of_queries(client, editor, django_assert_max_num_queries):
    for hour in range(6):
        corrected_story(editor, when=at(hour * 3))
    with django_assert_max_num_queries(4):
        assert len(json.loads(client.get(api("stories") + "?limit=50").content)["items"]) == 6


def test_head_is_answered_as_get_and_other_methods_with_a_problem(client, editor):
    story = corrected_story(editor)
    url = api("story", story_id=story.public_id)
    get = client.get(url)

    head = client.head(url)
    post = client.post(url, data={})

    assert head.status_code == 200
    assert head.content == b""
    assert head["ETag"] == get["ETag"]
    assert post.status_code == 405
    assert post["Content-Type"] == "application/problem+json"
    assert post["Allow"] == "GET, HEAD"


def test_a_cursor_past_any_number_the_database_holds_is_answered(client, editor):
    story = corrected_story(editor)
    versions = api("versions", story_id=story.public_id)

    _, newest = get_json(client, versions + "?cursor=n999999999999999999")
    _, oldest = get_json(client, versions + "?cursor=o999999999999999999")

    assert [item["number"] for item in newest["items"]] == [2, 1]
    assert oldest["items"] == [] and oldest["next"] is None
