"""The read API's operations (django-ninja): thin, as reader views are. What they serve
comes from ``data`` and ``ninjs``, how it is cached and named from ``caching``, who may
ask how often from ``access``.

Mounted at ``/api/v1/`` (``newsroom/urls.py``), with the OpenAPI 3.1 schema django-ninja
generates from this module at ``/api/v1/openapi.json`` and its docs page at
``/api/v1/docs``. Everything is published data: there is no endpoint, with or without
a key, for a draft.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from django.http import Http404
from django.shortcuts import redirect
from ninja import NinjaAPI, Path, Query
from ninja.errors import HttpError, ValidationError

from stories.content.kinds import RevisionKind
from stories.edge import keys as edge_keys

from . import access, caching, cursors, data, ninjs, schemas
from .cursors import BadCursor, Cursor
from .problems import PROBLEM, problem

#: The largest version number, page size and key a request may name (beyond them
#: nothing exists; bounded so no database is asked for a number it cannot hold).
MAX_NUMBER = 1_000_000_000
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
SLUG = r"^[-a-zA-Z0-9_]+$"

Slug = Annotated[str, Path(pattern=SLUG, max_length=220)]
Number = Annotated[int, Path(ge=1, le=MAX_NUMBER)]
Kind = Literal[tuple(RevisionKind.values)]
CursorParam = Annotated[
    str | None, Query(pattern=cursors.PATTERN, description="A previous page's next_cursor.")
]
OrderParam = Annotated[
    Literal["newest", "oldest"],
    Query(description="By last change: newest first, or oldest first to keep a copy in step."),
]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")]


class NewsroomAPI(NinjaAPI):
    """django-ninja's API, with errors documented as ``application/problem+json`` and the
    partner key as an optional bearer token."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for status, answer in operation.get("responses", {}).items():
                    if int(status) >= 400 and "content" in answer:
                        answer["content"] = {PROBLEM: answer["content"]["application/json"]}
                operation["security"] = [{}, {"partnerKey": []}]
        schema.setdefault("components", {})["securitySchemes"] = {
            "partnerKey": {
                "type": "http",
                "scheme": "bearer",
                "description": "A partner's key (made in the admin): a higher rate limit, nothing else.",
            }
        }
        return schema


api = NewsroomAPI(
    title="Newsroom API",
    version="1",
    description=(
        "Published stories, every version of them, their corrections and the public "
        "record, for partners and apps. Anonymous reads are rate limited; a partner key "
        "(Authorization: Bearer nrk_...) raises the limit. Errors are RFC 9457 problem "
        "details. See docs/partners.md."
    ),
    urls_namespace="api",
)
api.add_decorator(access.limited, mode="view")

ERRORS = {400: schemas.Problem, 401: schemas.Problem, 404: schemas.Problem, 429: schemas.Problem}


def answers(schema) -> dict:
    return {200: schema, 304: None, **ERRORS}


# -- errors as problems -----------------------------------------------------------------------


@api.exception_handler(ValidationError)
def invalid(request, error: ValidationError):
    errors = [
        {
            "parameter": ".".join(str(part) for part in item.get("loc", ())[1:]) or "?",
            "problem": item.get("msg", ""),
        }
        for item in error.errors
    ]
    names = ", ".join(sorted({item["parameter"] for item in errors}))
    return problem(request, 400, f"Invalid parameter: {names}.", errors=errors)


@api.exception_handler(BadCursor)
def bad_cursor(request, error: BadCursor):
    return problem(
        request, 400, f"cursor: {error}", errors=[{"parameter": "cursor", "problem": str(error)}]
    )


@api.exception_handler(Http404)
def not_found(request, error: Http404):
    return problem(request, 404, str(error) or "Nothing public answers to this address.")


@api.exception_handler(HttpError)
def http_error(request, error: HttpError):
    return problem(request, error.status_code, str(error))


# -- stories ----------------------------------------------------------------------------------

#: RFC 3339's date-time: a date, "T", a time and an offset (Z or ±hh:mm).
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def rfc3339(value: str) -> datetime | None:
    """``value`` as an aware time, or ``None`` unless it is an RFC 3339 date-time."""
    if not RFC3339.match(value):
        return None
    try:
        return datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return None


def _page_links(request, cursor: Cursor | None) -> dict:
    if cursor is None:
        return {"next": None, "next_cursor": None}
    query = request.GET.copy()
    query["cursor"] = cursor.encode()
    query.pop("order", None)  # the cursor carries it
    return {
        "next": data.absolute(f"{request.path}?{query.urlencode()}"),
        "next_cursor": cursor.encode(),
    }


@api.get("/stories", response=answers(schemas.StoryList), url_name="stories", tags=["stories"])
def list_stories(
    request,
    cursor: CursorParam = None,
    order: OrderParam = "newest",
    limit: Limit = DEFAULT_LIMIT,
    section: Annotated[str | None, Query(pattern=SLUG, max_length=100)] = None,
    contributor: Annotated[str | None, Query(pattern=SLUG, max_length=220)] = None,
    kind: Annotated[Kind | None, Query(description="The kind of the latest version.")] = None,
    modified_since: Annotated[
        str | None,
        Query(
            description="Latest version published at or after this time (RFC 3339, with "
            "its offset: 2025-03-04T14:30:00Z).",
            format="date-time",
        ),
    ] = None,
):
    """Every published story (withdrawn ones too, without their text), by last change,
    a page at a time."""
    walk = Cursor.decode(cursor, order)
    since = None
    if modified_since:  # an empty value is no filter, as for the other parameters
        since = rfc3339(modified_since)
        if since is None:
            return problem(
                request,
                400,
                "modified_since: not a time with its offset, e.g. 2025-03-04T14:30:00Z.",
                errors=[{"parameter": "modified_since", "problem": "not an RFC 3339 date-time"}],
            )

    def build():
        items, following = data.story_list(
            cursor=walk,
            limit=limit,
            section=section,
            contributor=contributor,
            kind=kind,
            modified_since=since,
        )
        body = schemas.StoryList(items=items, **_page_links(request, following))
        keys = caching.subjects(
            stories=[item.id for item in items],
            sections=[section] if section else [],
            contributors=[contributor] if contributor else [],
            lists=[edge_keys.LATEST],
        )
        return caching.json_response(body.model_dump_json().encode(), keys=keys)

    return caching.cached_answer(request, (caching.SITE_GENERATION_KEY,), build)


def _story_answer(request, story_id: UUID, build_body):
    """An answer about one story: keyed on its generation, named by its subjects."""

    def build():
        body, last_modified = build_body()
        # As the reader's story pages: names of sections and contributors as published,
        # so only the story's own changes make the answer stale.
        keys = caching.subjects(stories=[story_id])
        return caching.json_response(body, keys=keys, last_modified=last_modified)

    return caching.cached_answer(request, (caching.story_generation_key(story_id),), build)


@api.get("/stories/{story_id}", response=answers(schemas.Story), url_name="story", tags=["stories"])
def story(request, story_id: UUID):
    """A story and its current version, with the links to every other."""

    def build():
        found = data.story(story_id)
        return found.model_dump_json().encode(), found.changed_at

    return _story_answer(request, story_id, build)


@api.get(
    "/stories/{story_id}/ninjs",
    response=answers(schemas.NinjsItem),
    url_name="story_ninjs",
    tags=["ninjs"],
)
def story_ninjs(request, story_id: UUID):
    """The current version as an IPTC ninjs 2.x text item (``pubstatus`` canceled once
    withdrawn)."""

    def build():
        item = ninjs.story_item(story_id)
        return item.model_dump_json(exclude_none=True).encode(), item.versioncreated

    return _story_answer(request, story_id, build)


@api.get(
    "/stories/{story_id}/versions",
    response=answers(schemas.VersionList),
    url_name="versions",
    tags=["versions"],
)
def versions(
    request,
    story_id: UUID,
    cursor: CursorParam = None,
    order: OrderParam = "newest",
    limit: Limit = 50,
):
    """The story's versions, with their kinds, notes and hashes."""
    walk = Cursor.decode(cursor, order)

    def build():
        items, following, history = data.versions(story_id, cursor=walk, limit=limit)
        body = schemas.VersionList(
            story=story_id,
            url=history,
            items=items,
            **_page_links(request, following),
        )
        return body.model_dump_json().encode(), None

    return _story_answer(request, story_id, build)


@api.get(
    "/stories/{story_id}/versions/{number}",
    response=answers(schemas.Version),
    url_name="version",
    tags=["versions"],
)
def version(request, story_id: UUID, number: Number):
    """One version, as readers saw it (its text unless the story was withdrawn)."""

    def build():
        found = data.version(story_id, number)
        return found.model_dump_json().encode(), found.published_at

    return _story_answer(request, story_id, build)


@api.get(
    "/stories/{story_id}/versions/{number}/ninjs",
    response=answers(schemas.NinjsItem),
    url_name="version_ninjs",
    tags=["ninjs"],
)
def version_ninjs(request, story_id: UUID, number: Number):
    """One version as an IPTC ninjs 2.x text item."""

    def build():
        item = ninjs.version_item(story_id, number)
        return item.model_dump_json(exclude_none=True).encode(), item.versioncreated

    return _story_answer(request, story_id, build)


@api.get(
    "/stories/{story_id}/compare/{old}/{new}",
    response={**answers(schemas.Comparison), 301: None},
    url_name="compare",
    tags=["versions"],
)
def compare(request, story_id: UUID, old: Number, new: Number):
    """What changed between two versions, field by field (the body by paragraph).
    Versions are compared oldest first: the other order redirects there."""
    if old > new:
        return redirect("api:compare", story_id=story_id, old=new, new=old, permanent=True)
    if old == new:
        raise Http404(f"Version {old} compared with itself has no differences.")

    def build():
        return data.comparison(story_id, old, new).model_dump_json().encode(), None

    return _story_answer(request, story_id, build)


# -- the site ---------------------------------------------------------------------------------


def _site_answer(request, build_body):
    def build():
        body, keys = build_body()
        return caching.json_response(body, keys=keys)

    return caching.cached_answer(request, (caching.SITE_GENERATION_KEY,), build)


@api.get(
    "/corrections",
    response=answers(schemas.CorrectionList),
    url_name="corrections",
    tags=["corrections"],
)
def corrections(
    request,
    cursor: CursorParam = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """Corrections and clarifications, newest first."""
    walk = Cursor.decode(cursor)

    def build():
        items, following = data.corrections(cursor=walk, limit=limit)
        body = schemas.CorrectionList(items=items, **_page_links(request, following))
        keys = caching.subjects(
            stories=[item.story for item in items], lists=[edge_keys.CORRECTIONS]
        )
        return body.model_dump_json().encode(), keys

    return _site_answer(request, build)


@api.get(
    "/sections", response=answers(list[schemas.Section]), url_name="sections", tags=["sections"]
)
def sections(request):
    """Every section published stories were filed in."""

    def build():
        found = data.sections()
        # Any publish may file a story in a section the list does not name yet.
        keys = caching.subjects(
            sections=[item.slug for item in found], lists=[edge_keys.SECTIONS, edge_keys.LATEST]
        )
        return _json_list(found), keys

    return _site_answer(request, build)


@api.get(
    "/sections/{slug}", response=answers(schemas.Section), url_name="section", tags=["sections"]
)
def section(request, slug: Slug):
    def build():
        return data.section(slug).model_dump_json().encode(), caching.subjects(sections=[slug])

    return _site_answer(request, build)


@api.get(
    "/contributors",
    response=answers(list[schemas.Contributor]),
    url_name="contributors",
    tags=["contributors"],
)
def contributors(request):
    """Everyone credited on a live story."""

    def build():
        found = data.contributors()
        # Any publish may credit someone the list does not name yet.
        keys = caching.subjects(
            contributors=[item.slug for item in found],
            lists=[edge_keys.CONTRIBUTORS, edge_keys.LATEST],
        )
        return _json_list(found), keys

    return _site_answer(request, build)


@api.get(
    "/contributors/{slug}",
    response=answers(schemas.Contributor),
    url_name="contributor",
    tags=["contributors"],
)
def contributor(request, slug: Slug):
    def build():
        return data.contributor(slug).model_dump_json().encode(), caching.subjects(
            contributors=[slug]
        )

    return _site_answer(request, build)


def _json_list(items) -> bytes:
    return b"[" + b",".join(item.model_dump_json().encode() for item in items) + b"]"
