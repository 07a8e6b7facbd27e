"""The desk's rooms beside review: comments, notifications, presence, autosave, outside
previews and the queue. Internal only: no reader page, feed, export or version hash
carries any of it (tests/test_reader_drafts.py walks every public URL to prove it).

``stories.reviewing`` (the one way to move a story through review) uses these; the
admin and the reader's signed preview page call them. They change the desk's own rows
(``stories.models.desk``), never a working copy or a published version.
"""
