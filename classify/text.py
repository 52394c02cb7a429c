"""Bounding untrusted text before any scorer sees it."""

from __future__ import annotations

import unicodedata

MAX_SCORED_CHARS = 1000  # VADER's cost grows with length and emoji count; care intent is early


def bounded(text: str | None) -> str:
    """At most MAX_SCORED_CHARS, valid Unicode, NFC-normalized; never raises."""
    if not text:
        return ""
    if not isinstance(text, str):
        text = str(text)
    text = text[: MAX_SCORED_CHARS * 2]
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates become U+FFFD
    return unicodedata.normalize("NFC", text)[:MAX_SCORED_CHARS]
