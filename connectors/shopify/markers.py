"""The tag we write into what we create on Shopify (notes), so a retry or a webhook can tell it is ours and whose."""

from __future__ import annotations

import re

_TAG = re.compile(r"\[postventa:([^\]\s]{1,200})\]")


def marker(key: str) -> str:
    """`[postventa:<idempotency key>]`, written into a note of the refund, return, draft order or processing."""
    return f"[postventa:{key}]"


def key_in(text: str | None) -> str | None:
    """The idempotency key a note carries, if we wrote it."""
    found = _TAG.search(text or "")
    return found.group(1) if found else None
