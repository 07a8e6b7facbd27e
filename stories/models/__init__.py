"""The editorial models, one module per layer of data, all importable from here (where
Django finds them too), as Wagtail's ``wagtail.models`` does:

- ``working_copy``: sections, contributors, stories and their credits, imports' sources;
- ``versions``: published versions, legal removals' public traces and their internal
  record of what they redacted;
- ``pictures``: pictures as served, stored once under their hash;
- ``log``: the transparency log's leaves, subtrees and signed heads;
- ``reader_reports``: readers' error reports;
- ``base``: what they share (the audit trail of real changes, fixed public addresses,
  append-only rows).
"""

from .base import (
    AppendOnlyModel,
    ImmutableRowError,
    LinkedFromPublishedVersions,
    SkipUnchangedSavesMixin,
    refuse_public_slug_change,
)
from .log import LogLeaf, LogNode, TreeHead
from .pictures import ImmutablePictureError, Picture, image_snapshot
from .reader_reports import ErrorReport, ReportStatus
from .versions import ContentRemoval, ImmutableRevisionError, Redaction, Revision
from .working_copy import Contributor, Credit, Section, Story, StorySource, public_story

__all__ = [
    "AppendOnlyModel",
    "ContentRemoval",
    "Contributor",
    "Credit",
    "ErrorReport",
    "ImmutablePictureError",
    "ImmutableRevisionError",
    "ImmutableRowError",
    "LinkedFromPublishedVersions",
    "LogLeaf",
    "LogNode",
    "Picture",
    "Redaction",
    "ReportStatus",
    "Revision",
    "Section",
    "SkipUnchangedSavesMixin",
    "Story",
    "StorySource",
    "TreeHead",
    "image_snapshot",
    "public_story",
    "refuse_public_slug_change",
]
