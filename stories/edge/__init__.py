"""The edge: HTTP caches in front of the site (Varnish, or a CDN reading the same headers).

Readers on a big night should never reach Django: the edge keeps every public answer
for a long time and forgets exactly what a publish changed, by surrogate key.

- ``keys``: the names of the keys, in one place, for every room that serves public
  answers (the reader site, the partner API);
- ``headers``: the Cache-Control and surrogate-key headers of a public answer;
- ``concerned``: which keys a publish, a withdrawal, a legal removal or a public edit of
  a section or contributor makes stale;
- ``purging``: the soft purges of those keys on every edge (``EDGE_PURGE_URLS``),
  background work with retries, after the change has committed.

``deploy/varnish/newsroom.vcl`` is the edge's side of the contract; docs/operations.md
(The edge) describes the layout.
"""
