"""Which language a shopper reads: Spanish and English, English as the fallback."""

from __future__ import annotations

from flask import g, request

LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = "en"


def pick_language(tag: str | None) -> str:
    """Map a locale tag such as 'es-MX' or 'en_US' to a language we have."""
    if not tag:
        return DEFAULT_LANGUAGE
    base = tag.replace("_", "-").split("-")[0].strip().lower()
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


def select_locale() -> str:
    """?lang= first, then the page's own choice (an order's locale), then the browser."""
    asked = request.args.get("lang")
    if asked and pick_language(asked) == asked:
        return asked
    chosen = getattr(g, "page_language", None)
    if chosen:
        return str(chosen)
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE
