"""The public record as JSON: what anyone's verifier reads (docs/transparency.md).

* the latest signed tree head of the site's transparency log;
* a consistency proof between any two sizes of the log;
* the log's entries, in order (each a version's hash, with its story and number);
* for each story, every version with the payload its hash covers, its hash, its leaf
  index and an inclusion proof against a signed tree head.

Plain data only (dicts and lists, ready for ``JsonResponse``); the views in
``record_views`` serve and cache it. Withdrawn stories' records stay public: a withdrawal
is a version too, and the record must stay checkable whole.
"""

from __future__ import annotations

from django.urls import reverse

from stories.models import LogLeaf, Revision, Story
from stories.record import transparency
from stories.record.integrity import revision_payload

#: Versions per page of a story's record (each carries its full text and a proof).
RECORD_PER_PAGE = 50
#: Entries per page of the log.
ENTRIES_PER_PAGE = 1000


class NotInRecord(Exception):
    """What was asked for is not in the public record: answered 404 with this message."""


def tree_head() -> dict:
    head = transparency.latest_head()
    if head is None:
        raise NotInRecord("Nothing has been published yet: the log is empty.")
    return transparency.head_data(head)


def consistency(first: int, second: int) -> dict:
    """The RFC 9162 consistency proof between the log's first ``first`` and ``second``
    entries (1 <= first <= second <= the log's size)."""
    size = _size()
    if first < 1:
        raise NotInRecord("first must be at least 1 (the size of the older tree head).")
    if first > second:
        raise NotInRecord(f"first ({first}) must not be larger than second ({second}).")
    if second > size:
        raise NotInRecord(f"second ({second}) is larger than the log ({size} entries).")
    return {"first": first, "second": second, "proof": transparency.consistency(first, second)}


def entries(start: int) -> dict:
    """Up to ``ENTRIES_PER_PAGE`` entries of the log from ``start``, as far as the latest
    tree head."""
    size = _size()
    if start > size or (start == size and size):
        raise NotInRecord(f"start ({start}) is past the end of the log ({size} entries).")
    end = min(start + ENTRIES_PER_PAGE, size)
    rows = (
        LogLeaf.objects.filter(index__gte=start, index__lt=end)
        .order_by("index")
        .values_list(
            "index",
            "entry_hash",
            "revision__story__public_id",
            "revision__story__slug",
            "revision__number",
        )
    )
    return {
        "tree_size": size,
        "start": start,
        "entries": [
            {"index": index, "hash": entry, "story": str(story), "slug": slug, "number": number}
            for index, entry, story, slug, number in rows
        ],
        "next": f"{reverse('reader:log_entries')}?start={end}" if end < size else None,
    }


def story_record(slug: str, page: int) -> dict:
    """Page ``page`` of a story's versions, oldest first, each with its proof."""
    story = Story.objects.filter(slug=slug).first()
    count = Revision.objects.filter(story=story).count() if story else 0
    if not count:
        raise NotInRecord("There is no published story at this address.")
    pages = max(1, -(-count // RECORD_PER_PAGE))
    if page > pages:
        raise NotInRecord(f"This record has {pages} page(s); there is no page {page}.")
    start = (page - 1) * RECORD_PER_PAGE
    revisions = list(
        Revision.objects.filter(story=story)
        .select_related("log_leaf", "removal", "picture")
        .order_by("number")[start : start + RECORD_PER_PAGE]
    )
    # The head is read after the versions: every version read is then inside it.
    head = transparency.latest_head()
    if head is None:
        raise NotInRecord(
            "The transparency log has no signed tree head, so this story's versions cannot be "
            "proven yet (operators: manage.py verify_revisions reports what is missing)."
        )
    indexes = [_leaf_index(revision) for revision in revisions]
    proofs = transparency.inclusion_proofs([i for i in indexes if i is not None], head.size)
    path = reverse("reader:story_record", kwargs={"slug": slug})
    return {
        "story": {
            "id": str(story.public_id),
            "slug": story.slug,
            "url": reverse("reader:story", kwargs={"slug": slug}),
            "versions": count,
        },
        "tree_head": transparency.head_data(head),
        "versions": [
            _version(revision, story, index, proofs.get(index))
            for revision, index in zip(revisions, indexes, strict=True)
        ],
        "page": page,
        "pages": pages,
        "next": f"{path}?page={page + 1}" if page < pages else None,
    }


def _version(revision: Revision, story: Story, index: int | None, proof) -> dict:
    data = {
        "number": revision.number,
        "hash": revision.content_hash,
        "previous_hash": revision.previous_hash,
        "hash_version": revision.hash_version,
        "leaf_index": index,
        "inclusion_proof": proof,
    }
    removal = getattr(revision, "removal", None)
    if removal is not None:
        # Its text is gone for a legal reason; its hash and its leaf stay.
        data["removed"] = {"at": removal.removed_at.isoformat(), "note": removal.public_note}
    else:
        data["payload"] = revision_payload(revision, story)
    return data


def _leaf_index(revision: Revision) -> int | None:
    leaf = getattr(revision, "log_leaf", None)
    return leaf.index if leaf is not None else None


def _size() -> int:
    head = transparency.latest_head()
    return head.size if head is not None else 0
