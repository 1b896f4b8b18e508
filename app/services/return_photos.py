"""Shopper photos: only real images, not too big, re-encoded so nothing but pixels is kept."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from app.labels import N_

MAX_BYTES = 5 * 1024 * 1024  # per photo, as uploaded
MAX_PIXELS = 40_000_000  # a decompression bomb is refused before it is decoded
MAX_SIDE = 2000  # what is kept: enough to see a damaged item
FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "HEIF", "MPO"}

TOO_BIG = N_("Each photo can be at most 5 MB.")
NOT_IMAGE = N_("Photos must be JPEG, PNG, WebP or GIF images.")


class PhotoError(ValueError):
    """A file that is not a photo we keep; the message is an English msgid for the page."""


@dataclass(frozen=True)
class Photo:
    data: bytes
    content_type: str
    width: int
    height: int


def clean(raw: bytes) -> Photo:
    """Decode, check and re-encode one uploaded photo as JPEG (metadata such as location is dropped)."""
    if len(raw) > MAX_BYTES:
        raise PhotoError(TOO_BIG)
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            if probe.format not in FORMATS or probe.width * probe.height > MAX_PIXELS:
                raise PhotoError(NOT_IMAGE)
            probe.verify()
        with Image.open(io.BytesIO(raw)) as image:
            image.load()
            picture = image.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise PhotoError(NOT_IMAGE) from None
    picture.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=85, optimize=True)
    return Photo(out.getvalue(), "image/jpeg", picture.width, picture.height)
