"""The public record as JSON: what anyone's verifier reads (docs/transparency.md).

* the latest signed tree head of the site's transparency log, the one current at any
  given time, every head (kept for ever) newest first, and the newest as a C2SP
  checkpoint with the witnesses' cosignatures;
* a consistency proof between any two sizes of the log;
* the log's entries, in order (each a version's hash, with its story and number);
* for each story, every version with the payload its hash covers, its hash, its leaf
  index and an inclusion proof against a signed tree head, and the address of its
  picture's original file, so a verifier can check the picture's hash too.

Plain data only (dicts and lists, ready for ``JsonResponse``); the views in
``record_views`` serve and cache it.

One rule for withdrawn text, on every public surface: once a story is withdrawn, no
public address serves the text of any of its versions (nor their pictures' addresses).
Its pages answer 410 with the headline readers last saw and the editor's note; its
public history keeps each version's number, kind, time, note and hash; and its record
here keeps each version's hash, chain, leaf and proof, and, for versions hashed with
payload version 4, the envelope the hash covers (kind, note, time, and the content's
SHA-256), so that the hashes still verify without the text. A withdrawal is a version
too, and the record stays checkable whole.
"""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.urls import reverse

from stories import addresses
from stories.models import LogLeaf, Revision, Story, TreeHead
from stories.record import checkpoints, transparency
from stories.record.integrity import ENVELOPED, revision_content, revision_payload

#: Versions per page of a story's record (each carries its full text and a proof).
RECORD_PER_PAGE = 50
#: Entries per page of the log.
ENTRIES_PER_PAGE = 1000
#: Tree heads per page of their list (newest first).
HEADS_PER_PAGE = 100


class NotInRecord(Exception):
    """What was asked for is not in the public record: answered 404 with this message."""


def tree_head(at: int | None = None) -> dict:
    """The newest signed tree head, or the one current at ``at`` (ms since the epoch)."""
    head = transparency.latest_head() if at is None else transparency.head_at(at)
    if head is None:
        if at is None:
            raise NotInRecord("Nothing has been published yet: the log is empty.")
        raise NotInRecord(f"No tree head had been signed by {at} (ms since the epoch).")
    return transparency.head_data(head)


def tree_heads(until: int | None) -> dict:
    """Every signed tree head, newest first, ``HEADS_PER_PAGE`` a page (more when the last
    shares its time with others), from ``until`` (ms) back."""
    heads = TreeHead.objects.order_by("-timestamp", "-size")
    if until is not None:
        heads = heads.filter(timestamp__lte=until)
    page = list(heads[:HEADS_PER_PAGE])
    if len(page) == HEADS_PER_PAGE:
        last = page[-1]
        page += heads.filter(timestamp=last.timestamp, size__lt=last.size)
    more = len(page) >= HEADS_PER_PAGE and heads.filter(timestamp__lt=page[-1].timestamp).exists()
    path = reverse("reader:log_heads")
    return {
        "tree_heads": [transparency.head_data(head) for head in page],
        "next": f"{path}?until={page[-1].timestamp - 1}" if more else None,
    }


def checkpoint() -> str:
    """The newest head as a C2SP checkpoint, signed, with its cosignatures."""
    head = transparency.latest_head()
    if head is None:
        raise NotInRecord("Nothing has been published yet: the log is empty.")
    if not head.note_signature:
        raise NotInRecord(
            "The newest tree head was signed before checkpoints: the next signing "
            "(manage.py sign_tree_head) makes one."
        )
    return checkpoints.checkpoint_note(head)


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
    story = Story.objects.filter(slug=slug).select_related("latest_revision").first()
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
    withdrawal = _withdrawal(story)
    data = {
        "story": {
            "id": str(story.public_id),
            "slug": story.slug,
            "url": reverse("reader:story", kwargs={"slug": slug}),
            "versions": count,
        },
        "tree_head": transparency.head_data(head),
        "versions": [
            _version(revision, story, index, proofs.get(index), withdrawal)
            for revision, index in zip(revisions, indexes, strict=True)
        ],
        "page": page,
        "pages": pages,
        "next": f"{path}?page={page + 1}" if page < pages else None,
    }
    if withdrawal:
        data["story"]["withdrawn"] = withdrawal
    return data


def _withdrawal(story: Story) -> dict | None:
    """When and why the story was withdrawn (its last version says), or ``None``."""
    last = story.latest_revision
    if story.status != Story.Status.WITHDRAWN or last is None:
        return None
    return {"at": last.published_at.isoformat(), "note": last.public_note}


def _version(
    revision: Revision, story: Story, index: int | None, proof, withdrawal: dict | None
) -> dict:
    data = {
        "number": revision.number,
        "hash": revision.content_hash,
        "previous_hash": revision.previous_hash,
        "hash_version": revision.hash_version,
        "leaf_index": index,
        "inclusion_proof": proof,
    }
    removal = getattr(revision, "removal", None)
    enveloped = revision.hash_version in ENVELOPED
    if removal is not None:
        # Its text is gone for a legal reason; its hash and its leaf stay.
        data["removed"] = {"at": removal.removed_at.isoformat(), "note": removal.public_note}
    elif withdrawal is not None:
        # The text of a withdrawn story is public nowhere; what the hash covers besides
        # it (payload version 4's envelope) still is.
        data["withdrawn"] = withdrawal
        if enveloped:
            data["payload"] = revision_payload(revision, story)
    else:
        data["payload"] = revision_payload(revision, story)
        if enveloped:
            data["content"] = revision_content(revision)
        if revision.picture is not None:
            data["picture_url"] = _picture_url(revision.picture.original)
    return data


def _picture_url(name: str) -> str:
    """The absolute address of a picture's original file (the media storage's, or the
    site's own media address)."""
    url = default_storage.url(name)
    return url if url.startswith(("https://", "http://")) else addresses.absolute_url(url)


def _leaf_index(revision: Revision) -> int | None:
    leaf = getattr(revision, "log_leaf", None)
    return leaf.index if leaf is not None else None


def _size() -> int:
    head = transparency.latest_head()
    return head.size if head is not None else 0
