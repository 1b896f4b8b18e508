"""Errors as clear 4xx answers: JSON for machines, a page for people; never a traceback."""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException


def _wants_json() -> bool:
    path = request.path
    return path.startswith(("/webhooks/", "/api/")) or request.accept_mimetypes.best == "application/json"


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response | str, int]:
        code = exc.code or 500
        message = exc.description or exc.name
        if code == 413:
            message = "request body is larger than the 1 MiB limit"
        if code == 429:
            message = _("Too many attempts. Please wait a few minutes and try again.")
        if _wants_json():
            return jsonify(error=message), code
        return render_template("error.html", code=code, message=message), code
