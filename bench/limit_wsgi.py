"""The served benchmarks' limit: the page's own bytes from a bare WSGI callable, in the
same gunicorn as the site.

``gunicorn limit_wsgi:application`` (with ``--pythonpath bench``) serves everything as
``newsroom.wsgi`` does, except ``LIMIT_PATH``, which it answers itself with the bytes of
the file named by ``NEWSROOM_BENCH_LIMIT_FILE``, read once: no Django, no middleware, no
WhiteNoise. What a page costs beyond that is the framework's and the page's own work.
Both are loaded on first use, so the benches can import ``LIMIT_PATH`` without Django.
"""

import os
from functools import cache
from pathlib import Path

LIMIT_PATH = "/__limit__/page.html"


@cache
def _limit() -> tuple[bytes, list[tuple[str, str]]]:
    body = Path(os.environ["NEWSROOM_BENCH_LIMIT_FILE"]).read_bytes()
    return body, [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))]


@cache
def _site():
    from newsroom.wsgi import application

    return application


def application(environ, start_response):
    if environ.get("PATH_INFO") == LIMIT_PATH:
        body, headers = _limit()
        start_response("200 OK", headers)
        return [body]
    return _site()(environ, start_response)
