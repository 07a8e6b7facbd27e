"""Template helpers for reader pages: times, bylines, structured data, section links."""

from __future__ import annotations

import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.template import defaulttags
from django.template.defaulttags import URLNode
from django.urls import NoReverseMatch
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe

from stories.content.credits import join_names
from stories.reader import pages
from stories.reader.times import display_time, iso_time

register = template.Library()


class RememberedURLNode(URLNode):
    """Django's ``{% url %}``, with each address reversed once per process
    (``pages.urls.remembered_reverse``): a story page has a dozen, and ``reverse`` was a
    fifth of its rendering. Templates that load ``reader`` get it in place of Django's."""

    def render(self, context):
        args = tuple(arg.resolve(context) for arg in self.args)
        kwargs = tuple(
            sorted((name, value.resolve(context)) for name, value in self.kwargs.items())
        )
        request = getattr(context, "request", None)
        current_app = getattr(request, "current_app", None) or getattr(
            getattr(request, "resolver_match", None), "namespace", None
        )
        try:
            url = pages.remembered_reverse(
                self.view_name.resolve(context), args, kwargs, current_app
            )
        except TypeError:  # an argument that cannot be a key: reversed every time
            return super().render(context)
        except NoReverseMatch:
            if self.asvar is None:
                raise
            url = ""
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag("url")
def remembered_url(parser, token):
    node = defaulttags.url(parser, token)
    return RememberedURLNode(node.view_name, node.args, node.kwargs, node.asvar)


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
