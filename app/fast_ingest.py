"""POST /webhooks/shopify in plain WSGI: on the busiest route Flask's request machinery cost more than the work."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask import Flask

PATH = "/webhooks/shopify"
_REASONS = {200: "OK", 400: "BAD REQUEST", 401: "UNAUTHORIZED", 404: "NOT FOUND", 413: "REQUEST ENTITY TOO LARGE",
            503: "SERVICE UNAVAILABLE"}


class ShopifyWebhookFastPath:
    """Answers signed Shopify webhooks before Flask builds a request; everything else goes on to Flask."""

    def __init__(self, app: Flask, inner: WSGIApplication) -> None:
        self.app, self.inner = app, inner

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST":
            return self.inner(environ, start_response)
        status, answer = self.handle(environ)
        out = orjson.dumps(answer) + b"\n"
        start_response(f"{status} {_REASONS[status]}",
                       [("Content-Type", "application/json"), ("Content-Length", str(len(out)))])
        return [out]

    def handle(self, environ: WSGIEnvironment) -> tuple[int, dict[str, str]]:
        from app.blueprints.webhooks import ingest_shopify

        limit = int(self.app.config["MAX_CONTENT_LENGTH"])
        try:
            declared = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return 400, {"error": "malformed Content-Length"}
        if declared < 0:
            return 400, {"error": "malformed Content-Length"}
        if declared > limit:
            return 413, {"error": "request body is larger than the 1 MiB limit"}
        stream = environ["wsgi.input"]
        if declared:  # read exactly what was declared (werkzeug's wrapper would zero a 1 MiB buffer first)
            body = stream.read(declared)
        elif environ.get("wsgi.input_terminated"):  # chunked: the server ends the stream; one byte past the limit
            body = stream.read(limit + 1)
        else:  # no length and a server that cannot end the stream: WSGI says there is no body
            body = b""
        if len(body) > limit:
            return 413, {"error": "request body is larger than the 1 MiB limit"}

        def header(name: str) -> str | None:
            value: Any = environ.get("HTTP_" + name.upper().replace("-", "_"))
            return value if isinstance(value, str) else None

        return ingest_shopify(header, body, self.app.config["SHOPIFY_API_SECRET"], self.app)

