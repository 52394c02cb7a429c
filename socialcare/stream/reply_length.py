"""How long a reply may be on each network, counted the way the network counts, so the desk
refuses one that is too long (422) before it is queued, instead of the network refusing it
later.

- X: 280, weighted as twitter-text 3 does: most Latin, Greek, Cyrillic and common punctuation
  count 1, everything else (CJK, emoji) 2, and a link counts 23 whatever its length.
- Bluesky: 300 graphemes (a flag, an emoji with a skin tone or a family of emoji counts one).
- Mastodon: 500 characters, a link counting 23.
- Reddit: 10,000 characters.
"""

from __future__ import annotations

import re
import unicodedata

from socialcare.errors import InputError

LIMITS = {"x": 280, "bluesky": 300, "mastodon": 500, "reddit": 10_000}
URL = re.compile(r"https?://\S+", re.IGNORECASE)
LINK = 23
_X_LIGHT = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))  # weight 1; the rest 2


def _x_weight(ch: str) -> int:
    code = ord(ch)
    return 1 if any(lo <= code <= hi for lo, hi in _X_LIGHT) else 2


def graphemes(text: str) -> int:
    """User-perceived characters: combining marks, variation selectors, skin tones and
    zero-width-joined parts join the character before; two regional indicators make a flag."""
    count, joined, flag_open = 0, False, False
    for ch in text:
        code = ord(ch)
        if ch == "\u200d":
            joined = True
            continue
        if (
            unicodedata.category(ch) in ("Mn", "Me", "Mc")
            or 0xFE00 <= code <= 0xFE0F
            or 0x1F3FB <= code <= 0x1F3FF
        ):
            continue
        if joined:
            joined = False
            continue
        if 0x1F1E6 <= code <= 0x1F1FF:
            if flag_open:
                flag_open = False
                continue
            flag_open = True
        else:
            flag_open = False
        count += 1
    return count


def length(network: str, text: str) -> int:
    """The length of `text` as `network` counts it."""
    if network == "x":
        rest = URL.sub("", text)
        return sum(_x_weight(ch) for ch in rest) + LINK * len(URL.findall(text))
    if network == "mastodon":
        return len(URL.sub("", text)) + LINK * len(URL.findall(text))
    if network == "bluesky":
        return graphemes(text)
    return len(text)


def check(network: str, text: str) -> None:
    """Raise InputError (422) when a reply is too long for its network."""
    limit = LIMITS.get(network)
    if limit is None:
        return
    counted = length(network, text)
    if counted > limit:
        how = {
            "x": " (links count 23, emoji and CJK characters 2)",
            "mastodon": " (links count 23)",
            "bluesky": " (counted in characters as you see them)",
        }.get(network, "")
        raise InputError(
            f"a reply on {network} is at most {limit} characters; this one counts {counted}"
            f"{how}. Shorten it by {counted - limit}."
        )
