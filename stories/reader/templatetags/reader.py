"""Template helpers for reader pages: times, bylines, structured data, section links."""

from __future__ import annotations

import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from stories.content.credits import join_names
from stories.reader import pages
from stories.reader.times import display_time, iso_time

register = template.Library()

#: Characters escaped inside <script> so no text can close the element (as json_script).
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


@register.filter
def iso(value):
    return iso_time(value) if value else ""


@register.simple_tag
def timestamp(value, css_class=""):
    """``<time datetime="2025-11-28T15:37:00-05:00">Nov. 28, 2025, 3:37 p.m. EST</time>``."""
    if not value:
        return ""
    return format_html(
        '<time datetime="{}"{}>{}</time>',
        iso_time(value),
        format_html(' class="{}"', css_class) if css_class else "",
        display_time(value),
    )


@register.simple_tag
def linked_names(credits):
    """ "Maria Ortiz and Dev Patel", each name linking to the contributor's page."""
    links = [format_html('<a href="{}">{}</a>', credit.url, credit.name) for credit in credits]
    return mark_safe(join_names(links))  # each link was built with format_html


@register.filter
def jsonld(data):
    """A ``<script type="application/ld+json">`` element that no value can break out of."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_SCRIPT_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))


@register.simple_tag
def absolute(path):
    return pages.absolute_url(path)


@register.simple_tag
def meta_tags(pairs):
    """``<meta property=... content=...>`` for (property, content) pairs with content."""
    return format_html_join(
        "\n  ",
        '<meta {}="{}" content="{}">',
        (
            ("name" if prop.startswith("twitter:") else "property", prop, content)
            for prop, content in pairs
            if content
        ),
    )


@register.filter
def with_dateline(body_html, dateline):
    """The story body with its dateline leading the first paragraph ("PORT HAVEN — ...").

    ``body_html`` is trusted: it was sanitised with nh3 when rendered from Markdown
    (``stories.content.rendering``); the dateline is escaped here.
    """
    html = body_html or ""
    if dateline:
        lead = format_html('<span class="story-dateline">{}</span> &mdash; ', dateline)
        if html.startswith("<p>"):
            html = "<p>" + lead + html[len("<p>") :]
        else:
            html = format_html("<p>{}</p>", lead) + html
    return mark_safe(html)  # sanitised at publish time; see the docstring
