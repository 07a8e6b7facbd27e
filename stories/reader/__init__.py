"""The reader site: everything readers see, built from published versions only.

A Django app of its own (label ``reader``) so that it owns its URLs, template tags and
the wiring of cache invalidation to publishing, while the ``stories`` app owns the models.
"""
