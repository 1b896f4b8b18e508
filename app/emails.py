"""Rendering shopper emails from email_templates/: Jinja2 + gettext, CSS inlined once per send."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import css_inline
from babel.dates import format_date
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.i18n import LANGUAGES, pick_language

TEMPLATES = Path(__file__).resolve().parent.parent / "email_templates"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    html: str
    text: str


@lru_cache(maxsize=len(LANGUAGES))
def environment(language: str) -> Environment:
    """One compiled template set per language, built on first use."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"], default_for_string=False),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["day"] = lambda moment: format_date(moment, "EEE d MMM", locale=language)
    translations = Translations.load(str(TRANSLATIONS), [language], domain="messages")
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    return env


_inliner = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)


def render(kind: str, locale: str | None, context: dict[str, Any]) -> RenderedEmail:
    """Subject, HTML (CSS inlined) and plain text for one message kind, in the shopper's language."""
    language = pick_language(locale)
    env = environment(language)
    ctx = {**context, "kind": kind, "language": language}
    subject = env.get_template(f"{kind}.subject.txt").render(ctx).strip()
    html = env.get_template(f"{kind}.html").render(ctx)
    text = env.get_template(f"{kind}.txt").render(ctx)
    return RenderedEmail(subject=" ".join(subject.split()), html=_inliner.inline(html), text=text)
