"""GET /t/<token> in plain WSGI when the page is cached: Flask's request machinery cost more than the page."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask import Flask

PREFIX = "/t/"


class TrackingPageFastPath:
    """Serves a cached, current tracking page before Flask builds a request; everything else goes on to Flask.

    Flask answers whatever this does not: a page to render, a bad or unknown token (404), the App Proxy's
    /proxy/t/..., other methods, and any error. No rate limit or before_request hook applies to /t/<token>;
    one added there must also be added here (or this path removed).
    """

    def __init__(self, app: Flask, inner: WSGIApplication) -> None:
        self.app, self.inner = app, inner

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or ""
        if environ.get("REQUEST_METHOD") == "GET" and path.startswith(PREFIX) and "/" not in path[len(PREFIX):]:
            html = self.cached(path[len(PREFIX):], environ.get("QUERY_STRING") or "")
            if html is not None:
                body = html.encode()
                start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                          ("Content-Length", str(len(body)))])
                return [body]
        return self.inner(environ, start_response)

    def cached(self, token: str, query: str) -> str | None:
        from app.blueprints.shopper import cached_tracking

        asked = next((value for name, value in parse_qsl(query, keep_blank_values=True) if name == "lang"), None)
        with self.app.app_context():
            try:
                return cached_tracking(token, asked)
            except Exception:  # the database, say: Flask answers it as it answers every error
                return None
