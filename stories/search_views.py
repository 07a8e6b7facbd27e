"""The reader site's search page, ``/search/?q=``: a thin view over ``stories.search``."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_safe

from . import caching, reader, search
from .views import page_number, public


def _search_key(request, **kwargs):
    # Results change only when something is published: cache them until then, keyed like
    # the other story lists (so a lagging replica's older results are not kept). The
    # cleaned query and its messages decide the page, so " ferry " shares "ferry"'s entry.
    query, messages = search.clean_query(request.GET.get("q", ""))
    return (reader.site_version(), request.path, query, tuple(messages), page_number(request))


@require_safe
@public
@caching.cached_page(_search_key)
def search_page(request):
    results = search.search(request.GET.get("q", ""), page_number(request))
    return render(
        request,
        "stories/search.html",
        {"results": results, "max_length": search.MAX_QUERY_LENGTH},
    )
