"""Machine-readable metadata of a story page: schema.org JSON-LD, Open Graph, Twitter.

Built from the same ``reader.StoryPage`` the template shows, with the same time format
(``iso_time``), so search engines and link previews read exactly what readers read:
``headline`` is the ``h1``, ``datePublished``/``dateModified`` are the visible times.
"""

from __future__ import annotations

from django.conf import settings
from django.templatetags.static import static

from stories import addresses

from .pages import StoryPage, absolute_url
from .times import iso_time


def publisher() -> dict:
    logo = static(settings.PUBLICATION_LOGO)
    if not logo.startswith(("http://", "https://")):
        logo = absolute_url(logo if logo.startswith("/") else "/" + logo)
    return {
        "@type": "NewsMediaOrganization",
        "name": settings.PUBLICATION_NAME,
        "url": addresses.site_root(),
        "logo": {"@type": "ImageObject", "url": logo},
    }


def _absolute(url: str) -> str:
    """A picture's address as link previews need it: absolute (media may be elsewhere)."""
    return url if url.startswith(("http://", "https://")) else absolute_url(url)


def image_object(figure) -> dict:
    """The lead image as a schema.org ``ImageObject``: the largest rendition, its size,
    caption and credit (the photographers' names, from the Photography credits)."""
    data = {
        "@type": "ImageObject",
        "url": _absolute(figure.share_url),
        "contentUrl": _absolute(figure.share_url),
        "width": figure.share_width,
        "height": figure.share_height,
        "caption": figure.caption,
        "description": figure.alt,
        "creditText": figure.credit,
    }
    return {key: value for key, value in data.items() if value not in ("", None)}


def _person(credit) -> dict:
    person = {"@type": "Person", "name": credit.name}
    if credit.slug:
        person["url"] = absolute_url(credit.url)
    if credit.affiliation:
        person["affiliation"] = {"@type": "Organization", "name": credit.affiliation}
    return person


def news_article(page: StoryPage) -> dict:
    """The ``NewsArticle`` of a story page (the live version)."""
    version = page.version
    url = absolute_url(page.url)
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "url": url,
        "headline": version.headline,
        "description": version.dek,
        "inLanguage": settings.PUBLICATION_LANGUAGE,
        "articleSection": version.section_name,
        "dateline": version.dateline,
        # No byline (an editorial, a wire story credited in its tagline): the publisher
        # is the author, as schema.org and Google's article guidelines expect one.
        "author": [_person(credit) for credit in page.byline_credits] or [publisher()],
        "contributor": [_person(credit) for credit in page.tagline_credits],
        "publisher": publisher(),
        "version": version.number,
    }
    if version.figure:
        data["image"] = [image_object(version.figure)]
    if page.first_published_at:
        data["datePublished"] = iso_time(page.first_published_at)
    if page.modified_at:
        data["dateModified"] = iso_time(page.modified_at)
    corrections = [
        {
            "@type": "CorrectionComment",
            "text": note.text,
            "datePublished": iso_time(note.published_at),
        }
        for note in page.corrections_and_clarifications
    ]
    if corrections:
        data["correction"] = corrections
    return {key: value for key, value in data.items() if value not in ("", [], None)}


def open_graph(page: StoryPage) -> list[tuple[str, str]]:
    """(property, content) pairs for Open Graph and the Twitter card."""
    version = page.version
    pairs = [
        ("og:site_name", settings.PUBLICATION_NAME),
        ("og:type", "article"),
        ("og:title", version.headline),
        ("og:description", version.dek),
        ("og:url", absolute_url(page.url)),
        ("og:locale", settings.PUBLICATION_LANGUAGE.replace("-", "_")),
        (
            "article:published_time",
            iso_time(page.first_published_at) if page.first_published_at else "",
        ),
        ("article:modified_time", iso_time(page.modified_at) if page.modified_at else ""),
        ("article:section", version.section_name),
    ]
    pairs += [("article:author", absolute_url(credit.url)) for credit in page.byline_credits]
    figure = version.figure
    if figure:
        pairs += [
            ("og:image", _absolute(figure.share_url)),
            ("og:image:type", "image/jpeg"),
            ("og:image:width", str(figure.share_width)),
            ("og:image:height", str(figure.share_height)),
            ("og:image:alt", figure.alt),
        ]
    pairs += [
        ("twitter:card", "summary_large_image" if figure else "summary"),
        ("twitter:title", version.headline),
        ("twitter:description", version.dek),
    ]
    if figure:
        pairs += [("twitter:image", _absolute(figure.share_url)), ("twitter:image:alt", figure.alt)]
    return pairs
