"""The read API for partners and apps (django-ninja), its own app (label ``api``), a
sibling of the reader site: published data only, as JSON and as IPTC ninjs items.

- ``views``: the operations, mounted at ``/api/v1/`` with ``openapi.json`` and ``docs``;
- ``data``: what they serve, read from published versions (never the working copy);
- ``ninjs``: stories and versions as ninjs 2.x text items;
- ``schemas``: the answers' shapes (the OpenAPI schema is generated from them);
- ``cursors``: keyset pagination that stays correct while stories are published;
- ``caching``: answers cached until a publish, conditional GETs, surrogate keys;
- ``access``: partner keys and rate limits; ``problems``: RFC 9457 errors.
"""
