"""The editorial models, one module per layer of data, all importable from here (where
Django finds them too), as Wagtail's ``wagtail.models`` does:

- ``working_copy``: sections, contributors, stories and their credits, imports' sources;
- ``versions``: published versions, legal removals' public traces and their internal
  record of what they redacted;
- ``pictures``: pictures as served, stored once under their hash;
- ``log``: the transparency log's leaves, subtrees, signed heads and witnesses'
  cosignatures;
- ``reader_reports``: readers' error reports;
- ``desk``: reviews, comments, notifications, autosaves and preview links (never public);
- ``accounts``: the audit trail of staff accounts (logins, permissions, second factors)
  and their open sessions;
- ``partners``: partners' API keys, webhook endpoints and the delivery log;
- ``base``: what they share (the audit trail of real changes, fixed public addresses,
  append-only rows).
"""

from .accounts import AccountEvent, StaffSession
from .base import (
    AppendOnlyModel,
    ImmutableRowError,
    LinkedFromPublishedVersions,
    SkipUnchangedSavesMixin,
    refuse_public_slug_change,
)
from .desk import (
    OPEN_REVIEW_STATES,
    AutosaveDraft,
    Comment,
    Notification,
    PreviewLink,
    PreviewVisit,
    Priority,
    Review,
    ReviewBypass,
    ReviewPurpose,
    ReviewState,
    ReviewStep,
    SectionEditor,
    StoryWatch,
)
from .log import Cosignature, LogLeaf, LogNode, TreeHead
from .partners import PartnerKey, WebhookAttempt, WebhookEndpoint, WebhookMessage
from .pictures import ImmutablePictureError, Picture, image_snapshot
from .reader_reports import ErrorReport, ReportStatus
from .versions import ContentRemoval, ImmutableRevisionError, Redaction, Revision
from .working_copy import Contributor, Credit, Section, Story, StorySource, public_story

__all__ = [
    "OPEN_REVIEW_STATES",
    "AccountEvent",
    "AppendOnlyModel",
    "AutosaveDraft",
    "Comment",
    "Notification",
    "PreviewLink",
    "PreviewVisit",
    "Priority",
    "Review",
    "ReviewBypass",
    "ReviewPurpose",
    "ReviewState",
    "ReviewStep",
    "SectionEditor",
    "StoryWatch",
    "ContentRemoval",
    "Contributor",
    "Cosignature",
    "Credit",
    "ErrorReport",
    "ImmutablePictureError",
    "ImmutableRevisionError",
    "ImmutableRowError",
    "LinkedFromPublishedVersions",
    "LogLeaf",
    "LogNode",
    "PartnerKey",
    "Picture",
    "Redaction",
    "ReportStatus",
    "Revision",
    "Section",
    "SkipUnchangedSavesMixin",
    "StaffSession",
    "Story",
    "StorySource",
    "TreeHead",
    "WebhookAttempt",
    "WebhookEndpoint",
    "WebhookMessage",
    "image_snapshot",
    "public_story",
    "refuse_public_slug_change",
]
