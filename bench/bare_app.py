"""The ingest baseline: a bare Flask app with one POST route, served by the same gunicorn settings."""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.post("/webhooks/shopify")
def ok() -> tuple[str, int]:
    return "ok", 200
