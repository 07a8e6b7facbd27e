"""Text that XML can carry: what every entry point stores.

Feeds and sitemaps are XML 1.0, which cannot carry the C0 control characters other
than tab, line feed and carriage return, nor U+FFFE, U+FFFF or lone surrogates. One of
them in a headline (Word pastes U+000B for a manual line break) used to make the feeds
answer 500 and the news sitemap ill-formed. So text is normalised before it is stored:
the editing and publishing services, the importer and the admin's forms all pass it
through ``clean_text``, and nothing XML cannot carry reaches the database.

A vertical tab or form feed is a line break someone pasted: a space in a one-line field,
a line feed in a text area. The other characters carry nothing a reader could see, and
are dropped.
"""

from __future__ import annotations

import re

#: Characters XML 1.0 cannot carry (its ``Char`` production), as a character class.
NOT_XML = "\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff"
_NOT_XML = re.compile(f"[{NOT_XML}]")
_LINE_BREAKS = re.compile("[\x0b\x0c]")


def clean_text(value, *, multiline: bool = False):
    """``value`` with pasted line breaks normalised and non-XML characters dropped
    (anything that is not a string is returned as it is)."""
    if not isinstance(value, str) or not _NOT_XML.search(value):
        return value
    value = _LINE_BREAKS.sub("\n" if multiline else " ", value)
    return _NOT_XML.sub("", value)


def clean_model_text(obj) -> None:
    """Normalise every text field of a model instance in place (text areas as multiline)."""
    from django.db import models

    for field in obj._meta.concrete_fields:
        if isinstance(field, models.CharField | models.TextField):
            value = getattr(obj, field.attname)
            cleaned = clean_text(value, multiline=isinstance(field, models.TextField))
            if cleaned is not value:
                setattr(obj, field.attname, cleaned)
