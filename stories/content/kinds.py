"""The newsroom's vocabularies: kinds of published change and roles of a credit.

Used by the models, the services, the reader, the admin and the plain-text parser
(``stories.interchange.plaintext``), which reads notes and credits without touching
the database.
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
