"""The tracking page's questions and answers: the merchant's own per language, else ours, translated."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext

from app.i18n import LANGUAGES
from app.labels import N_
from app.models import Shop

MAX_ENTRIES = 10
MAX_QUESTION, MAX_ANSWER = 200, 2000

DEFAULT = (
    (N_("When will my order arrive?"),
     N_("The estimated delivery window is shown with each shipment. It comes from how long this carrier has "
        "recently taken to bring our orders to your area.")),
    (N_("The tracking has not changed for days. Is something wrong?"),
     N_("Carriers do not scan a parcel at every step. If there is no news for several days we write to you "
        "and ask the carrier; you do not need to do anything.")),
    (N_("Can I change the delivery address?"),
     N_("Once an order has shipped, only the carrier can change where it goes. Use the carrier's tracking "
        "link, or write to us and we will help.")),
)


class FaqError(ValueError):
    """Questions a merchant sent that cannot be shown, with the reason."""


def for_page(shop: Shop, language: str) -> list[tuple[str, str]]:
    custom = ((shop.settings or {}).get("faq") or {}).get(language)
    if custom:
        return [(str(e["q"]), str(e["a"])) for e in custom]
    return [(gettext(q), gettext(a)) for q, a in DEFAULT]


def validate(body: Any) -> dict[str, list[dict[str, str]]]:
    """{"es": [{"q": ..., "a": ...}], "en": [...]}: plain text, a few entries, per language we speak."""
    if not isinstance(body, dict) or not body or set(body) - set(LANGUAGES):
        raise FaqError('expected {"es": [{"q": "...", "a": "..."}], "en": [...]} (languages: '
                       + ", ".join(LANGUAGES) + ")")
    clean: dict[str, list[dict[str, str]]] = {}
    for language, entries in body.items():
        if not isinstance(entries, list) or len(entries) > MAX_ENTRIES:
            raise FaqError(f"{language}: a list of at most {MAX_ENTRIES} questions")
        clean[language] = []
        for i, entry in enumerate(entries):
            q, a = (entry.get("q"), entry.get("a")) if isinstance(entry, dict) else (None, None)
            if not isinstance(q, str) or not isinstance(a, str) or not q.strip() or not a.strip():
                raise FaqError(f"{language}[{i}]: needs a question (q) and an answer (a)")
            if len(q) > MAX_QUESTION or len(a) > MAX_ANSWER:
                raise FaqError(f"{language}[{i}]: at most {MAX_QUESTION} characters per question, "
                               f"{MAX_ANSWER} per answer")
            clean[language].append({"q": q.strip(), "a": a.strip()})
    return clean
