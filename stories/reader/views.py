"""Reader pages. Thin: what they show comes from ``pages``, caching from ``caching``.

Every public view renders published revisions only; the preview is the one view that
reads the working copy, and only for staff who may change stories.
"""

from __future__ import annotations

import time
from functools import wraps

from django.conf import settings
from django.contrib.sitemaps import views as sitemap_views
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import condition, require_safe

from stories import publishing
from stories.models import Story

from . import caching, pages, ratelimit, search, sitemaps, structured_data

PREVIEW_PERMISSION = "stories.change_story"


# -- helpers ---------------------------------------------------------------------------


def page_number(request) -> int:
    """The ``?page=`` number; anything but a positive whole number is a 404."""
    raw = request.GET.get("page", "1")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 6 or int(raw) < 1:
        raise Http404("Page numbers are whole numbers from 1.")
    return int(raw)


def _state(request, slug):
    """The story's cheap state, read once per request (ETag, Last-Modified, cache key)."""
    if getattr(request, "_reader_story_slug", None) != slug:
        request._reader_story_state = pages.story_state(slug)
        request._reader_story_slug = slug
    return request._reader_story_state


def _story_etag(request, slug, **kwargs):
    state = _state(request, slug)
    return state.etag if state and state.has_published_version else None


def _story_last_modified(request, slug, **kwargs):
    state = _state(request, slug)
    return state.last_modified if state and state.has_published_version else None


def _story_key(request, slug, **kwargs):
    # No query: a cached page is found, and answered, without the database.
    return caching.story_page(slug, request.path)


def _filtered(request, query_filter: tuple[str, str]) -> bool:
    """Whether the request asks for the list's filter (``?show=corrections``...)."""
    name, value = query_filter
    return request.GET.get(name) == value


def _corrections_only(request) -> bool:
    return _filtered(request, pages.CORRECTIONS_FILTER)


def _history_key(request, slug, **kwargs):
    return caching.story_page(slug, request.path, page_number(request), _corrections_only(request))


def _site_key(request, **kwargs):
    return caching.site_page(request.path, page_number(request))


def public(view):
    """Cache-Control for browsers and the CDN on reader answers (200, 304 and 410)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code in (200, 304, 410):
            caching.public_cache_headers(response)
        return response

    return wrapper


def story_view(view=None, *, key=_story_key):
    """A page of one story: the cache first; on a miss, a conditional GET keyed on its
    live revision (one cheap query), then the page."""
    if view is None:
        return lambda view: story_view(view, key=key)
    view = condition(etag_func=_story_etag, last_modified_func=_story_last_modified)(view)
    return require_safe(public(caching.cached_page(key)(view)))


def site_view(view):
    """A page that lists stories: cached until the next publish anywhere."""
    return require_safe(public(caching.cached_page(_site_key)(view)))


def withdrawn(request, error: pages.StoryWithdrawn):
    return render(
        request,
        "410.html",
        {
            "headline": error.headline,
            "note": error.note,
            "withdrawn_at": error.withdrawn_at,
            "history_url": error.history_url,
        },
        status=410,
    )


def withdrawn_aware(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except pages.StoryWithdrawn as error:
            return withdrawn(request, error)

    return wrapper


# -- lists -----------------------------------------------------------------------------


@site_view
def home(request):
    listing = pages.home_page(page_number(request))
    return render(request, "reader/home.html", {"listing": listing})


@site_view
def section(request, slug):
    page = pages.section_page(slug, page_number(request))
    return render(
        request, "reader/section.html", {"section": page.profile, "listing": page.listing}
    )


@site_view
def contributor(request, slug):
    page = pages.contributor_page(slug, page_number(request))
    return render(
        request,
        "reader/contributor.html",
        {"contributor": page.profile, "listing": page.listing},
    )


def _reader_prompted_only(request) -> bool:
    return _filtered(request, pages.READER_PROMPTED_FILTER)


def _corrections_key(request, **kwargs):
    return caching.site_page(request.path, page_number(request), _reader_prompted_only(request))


@require_safe
@public
@caching.cached_page(_corrections_key)
def corrections(request):
    page = pages.corrections_page(
        page_number(request), reader_prompted_only=_reader_prompted_only(request)
    )
    return render(request, "reader/corrections.html", {"page": page, "listing": page.listing})


@require_safe
@public
def corrections_policy(request):
    return render(request, "reader/corrections_policy.html")


# -- one story -------------------------------------------------------------------------


@story_view
@withdrawn_aware
def story(request, slug):
    page = pages.story_page(slug)
    return render(
        request,
        "reader/story.html",
        {
            "page": page,
            "jsonld": structured_data.news_article(page),
            "open_graph": structured_data.open_graph(page),
        },
    )


@story_view
@withdrawn_aware
def revision(request, slug, number):
    page = pages.revision_page(slug, number)
    return render(request, "reader/story.html", {"page": page})


@story_view(key=_history_key)
@withdrawn_aware
def history(request, slug):
    page = pages.history_page(
        slug, page_number(request), corrections_only=_corrections_only(request)
    )
    return render(
        request,
        "reader/history.html",
        {"page": page, "story": page.story, "listing": page.listing},
    )


@require_safe
@public
def compare(request, slug, old, new):
    if old > new:
        # Versions are always compared oldest first: one address per pair.
        return redirect("reader:compare", slug=slug, old=new, new=old, permanent=True)
    return _compare(request, slug=slug, old=old, new=new)


@story_view
@withdrawn_aware
def _compare(request, slug, old, new):
    comparison = pages.comparison(slug, old, new)
    return render(request, "reader/compare.html", {"comparison": comparison})


@require_safe
def preview(request, slug):
    """The working copy in the public template, for staff who may change stories only."""
    user = request.user
    if not (user.is_authenticated and user.is_staff and user.has_perm(PREVIEW_PERMISSION)):
        raise Http404("There is no story at this address.")
    story = get_object_or_404(
        Story.objects.select_related("section", "latest_revision").prefetch_related(
            "credits__contributor"
        ),
        slug=slug,
    )
    page = pages.preview_page(story, publishing.snapshot_story(story))
    response = render(
        request,
        "reader/story.html",
        {
            "page": page,
            "story_status": story.get_status_display(),
            "jsonld": structured_data.news_article(page),
            "open_graph": structured_data.open_graph(page),
            "preview_time": timezone.now(),
        },
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    return caching.private_no_store(response)


# -- plain text ------------------------------------------------------------------------


@require_safe
@public
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /stories/*/preview/",
        "",
        f"Sitemap: {pages.absolute_url(reverse('sitemap'))}",
        f"Sitemap: {pages.absolute_url(reverse('sitemap-news'))}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


# -- feeds and sitemaps ----------------------------------------------------------------


def feed(feed_view):
    """A syndication feed, cached until the next publish, with public Cache-Control."""
    return require_safe(public(caching.cached_page(_feed_key)(feed_view)))


def _feed_key(request, **kwargs):
    return caching.site_page(request.path)


def _sitemap_key(request, **kwargs):
    raw = request.GET.get("p", "1")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 6:
        raise Http404("Sitemap page numbers are whole numbers from 1.")
    # The news sitemap's 48-hour window moves with the clock: a new key every 10 minutes.
    return caching.site_page(request.path, int(raw), int(time.time() // 600))


@require_safe
@public
@caching.cached_page(_sitemap_key)
def sitemap(request):
    # Our template writes lastmod as a full time (Django's writes the date only).
    return sitemap_views.sitemap(
        request, sitemaps=sitemaps.SITEMAPS, template_name="reader/sitemap.xml"
    )


@require_safe
@public
@caching.cached_page(_sitemap_key)
def news_sitemap(request):
    return sitemap_views.sitemap(
        request, sitemaps=sitemaps.NEWS_SITEMAPS, template_name="reader/sitemap_news.xml"
    )


# -- search ----------------------------------------------------------------------------


def _search_key(request, **kwargs):
    # Results change only when something is published: cache them until then, like the
    # other story lists. The cleaned query and its messages decide the page, so
    # " ferry " shares "ferry"'s entry.
    query, messages = search.clean_query(request.GET.get("q", ""))
    return caching.site_page(request.path, query, tuple(messages), page_number(request))


def _search_rate() -> str:
    return settings.READER_SEARCH_RATE


@require_safe
@public
@caching.cached_page(_search_key)
@ratelimit.rate_limited(
    "search",
    rate=_search_rate,
    message="You have run more searches than we can answer in a short time.",
)
def search_page(request):
    """Search. Only searches that miss the cache count towards the client's limit."""
    results = search.search(request.GET.get("q", ""), page_number(request))
    return render(
        request,
        "reader/search.html",
        {"results": results, "max_length": search.MAX_QUERY_LENGTH},
    )
