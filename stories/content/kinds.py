"""Vocabularies shared by the models, the publishing service and the importer.

Kept apart from ``models.py`` so that pure modules (the plain-text parser, the
credit formatter) can use them without touching the database layer.
"""

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
