"""The editorial models, one module per layer of data, all importable from here (Django
finds them here too): ``from stories.models import Story, Revision``.
"""

from .reports import ErrorReport, ReportStatus
from .working_copy import (
    CHANGED_AFTER_SCHEDULING,
    ContentRemoval,
    Contributor,
    Credit,
    ImmutablePictureError,
    ImmutableRevisionError,
    LinkedFromPublishedVersions,
    LogLeaf,
    LogNode,
    Picture,
    Revision,
    Section,
    SkipUnchangedSavesMixin,
    Story,
    StorySource,
    TreeHead,
    diff_snapshot,
    image_snapshot,
    public_story,
    refuse_public_slug_change,
)

__all__ = [
    "CHANGED_AFTER_SCHEDULING",
    "ContentRemoval",
    "Contributor",
    "Credit",
    "ErrorReport",
    "ImmutablePictureError",
    "ImmutableRevisionError",
    "LinkedFromPublishedVersions",
    "LogLeaf",
    "LogNode",
    "Picture",
    "ReportStatus",
    "Revision",
    "Section",
    "SkipUnchangedSavesMixin",
    "Story",
    "StorySource",
    "TreeHead",
    "diff_snapshot",
    "image_snapshot",
    "public_story",
    "refuse_public_slug_change",
]
