"""schemathesis against the API's generated OpenAPI schema: every operation, valid and
hostile values (property-based, with Hypothesis), and every answer checked: never a
server error, and never a status, content type, header or body the schema does not
describe."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from stories import publishing
from stories.api.views import api
from stories.content.kinds import RevisionKind
from tests.factories import approved
from tests.readerpages import at, publish, published_story

#: The schema django-ninja generates (what /api/v1/openapi.json serves), called over WSGI.
schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = get_wsgi_application()

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def one_connection():
    """Requests go through the WSGI handler, whose request signals close the database
    connection after each one; the test's transaction must outlive them (Django's test
    client disconnects the same receiver)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def stories(db, editor):
    """A few stories to find (a correction, a withdrawal), so that generated requests
    meet 200s too."""
    corrected = published_story(editor, when=at(0))
    publish(
        corrected, editor, when=at(1), kind=RevisionKind.CORRECTION, note="Fixed.", dek="Fixed."
    )
    withdrawn = published_story(editor, when=at(2))
    publishing.withdraw(
        approved(withdrawn, purpose="withdraw"), user=editor, public_note="Withdrawn."
    )


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_its_schema(case):
    excluded = []
    if (case.query or {}).get("modified_since"):
        # JSON Schema treats ``format: date-time`` as a note, not a rule, so schemathesis
        # counts "yesterday" as a valid value; the API refuses it (400, naming it).
        excluded.append(positive_data_acceptance)
    case.call_and_validate(excluded_checks=excluded)


def test_answers_about_real_stories_keep_the_schema_too(editor):
    """Generated ids rarely name a story: each story operation is also called with the
    ids and numbers of the stories above (live, corrected, withdrawn)."""
    from stories.models import Story

    checked = 0
    for story in Story.objects.all():
        numbers = list(story.revisions.values_list("number", flat=True))
        for path, parameters in [
            ("/api/v1/stories/{story_id}", {}),
            ("/api/v1/stories/{story_id}/ninjs", {}),
            ("/api/v1/stories/{story_id}/versions", {}),
            *[("/api/v1/stories/{story_id}/versions/{number}", {"number": n}) for n in numbers],
            *[
                ("/api/v1/stories/{story_id}/versions/{number}/ninjs", {"number": n})
                for n in numbers
            ],
            ("/api/v1/stories/{story_id}/compare/{old}/{new}", {"old": 1, "new": max(numbers)}),
        ]:
            case = schema[path]["GET"].Case(
                path_parameters={"story_id": str(story.public_id), **parameters}
            )
            response = case.call_and_validate()
            assert response.status_code in (200, 404), path  # a withdrawn story is not compared
            checked += response.status_code == 200
    assert checked >= 14
