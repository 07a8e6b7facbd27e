"""The newsroom's vocabularies: kinds of published change and roles of a credit.

Used by the models, the services, the reader, the admin and the plain-text parser
(``stories.interchange.plaintext``), which reads notes and credits without touching
the database.
"""

import re

from django.db import models


class RevisionKind(models.TextChoices):
    FIRST = "first", "First publication"
    UPDATE = "update", "Update"
    CORRECTION = "correction", "Correction"
    CLARIFICATION = "clarification", "Clarification"
    EDITORS_NOTE = "editors_note", "Editor's note"
    MINOR = "minor", "Minor edit"
    WITHDRAWAL = "withdrawal", "Withdrawal"


#: Kinds an editor may choose when re-publishing an already published story.
REPUBLISH_KINDS = [
    RevisionKind.UPDATE,
    RevisionKind.CORRECTION,
    RevisionKind.CLARIFICATION,
    RevisionKind.EDITORS_NOTE,
    RevisionKind.MINOR,
]

#: Kinds shown at the top of the story page (they change how a reader reads it).
PROMINENT_KINDS = {RevisionKind.CORRECTION, RevisionKind.CLARIFICATION, RevisionKind.EDITORS_NOTE}


class CreditRole(models.TextChoices):
    BYLINE = "byline", "Byline"
    CONTRIBUTED = "contributed", "Contributed reporting"
    PHOTOGRAPHY = "photography", "Photography"
    GRAPHICS = "graphics", "Graphics"
    EDITING = "editing", "Editing"


#: The labels readers see in front of a version's public note ("Correction: An earlier
#: version..."), by kind: the story page, the corrections page and the 410 page of a
#: withdrawn story write them. Updates have none (their note is shown in parentheses).
NOTE_LABELS = {
    RevisionKind.CORRECTION: ("Correction",),
    RevisionKind.CLARIFICATION: ("Clarification",),
    RevisionKind.EDITORS_NOTE: ("Editor's note",),
    RevisionKind.WITHDRAWAL: ("Editor's note", "Withdrawal"),
}


def _label_pattern(label: str) -> str:
    # Either apostrophe, any case, then a colon (or a dash) and the spaces after it.
    return re.escape(label).replace("'", "['’]")


def without_label(note: str, kind: str) -> str:
    """The note without a leading label the site writes in front of it anyway, so a note
    typed as "Editor's note: The story..." is not shown as "Editor's note: Editor's
    note: The story..."."""
    labels = NOTE_LABELS.get(kind, ())
    if not labels:
        return note
    leading = re.compile(
        rf"^\s*(?:{'|'.join(_label_pattern(label) for label in labels)})\s*[:\-–—]\s*",
        re.IGNORECASE,
    )
    stripped = note
    while (shorter := leading.sub("", stripped, count=1)) != stripped and shorter:
        stripped = shorter
    return stripped
