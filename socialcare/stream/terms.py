"""The words of a post, as the listening reports and incident grouping read them: lowercase,
without handles, links, numbers or stop words; and its two-word phrases (adjacent content
words, so "my flight is cancelled" gives "flight cancelled").

The router stores each customer post's terms (`posts.terms`, space-separated, a phrase written
`flight_cancelled`) so reports count them without reading the text again.
"""

from __future__ import annotations

import itertools
import re
from types import ModuleType

from socialcare.stream.extensions import optional

#: the same words in one pass (_terms.c), or None where it was not built
compiled: ModuleType | None = optional("socialcare.stream._terms")

_TOKEN = re.compile(r"[a-z][a-z']+")
_NOISE = re.compile(r"@\w+|#|https?://\S+|www\.\S+|\d+")
_STOP_TEXT = """
    a about above after again against all am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do
    does doesn't doing don't down during each few for from further had hadn't has hasn't
    have haven't having he he'd he'll he's her here here's hers herself him himself his how
    how's i i'd i'll i'm i've if in into is isn't it it's its itself let's me more most
    mustn't my myself no nor not of off on once only or other ought our ours ourselves out
    over own same shan't she she'd she'll she's should shouldn't so some such than that
    that's the their theirs them themselves then there there's these they they'd they'll
    they're they've this those through to too under until up very was wasn't we we'd we'll
    we're we've were weren't what what's when when's where where's which while who who's
    whom why why's with won't would wouldn't you you'd you'll you're you've your yours
    yourself yourselves just get got im dm pls please thanks thank hi hey still now
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())


def words(text: str) -> list[str]:
    """Content words of a post: lowercase, no handles, links, numbers or stop words."""
    if compiled is not None:
        return compiled.content_words(text.lower(), STOP_WORDS)
    return regex_words(text)


def regex_words(text: str) -> list[str]:
    """`words` by the two regexes that define it (what _terms.c does in one pass)."""
    cleaned = _NOISE.sub(" ", text.lower())
    return [w.strip("'") for w in _TOKEN.findall(cleaned) if w.strip("'") not in STOP_WORDS]


PHRASE_JOIN = "_"


def listening_terms(text: str) -> list[str]:
    """The distinct words (two letters or more) and two-word phrases of a post, in order of
    first appearance; a phrase is written `word_word`."""
    if compiled is not None:
        return compiled.content_terms(text.lower(), STOP_WORDS, PHRASE_JOIN)
    return regex_terms(text)


def regex_terms(text: str) -> list[str]:
    """`listening_terms` from `regex_words` (what _terms.c does in one pass)."""
    ws = [w for w in regex_words(text) if len(w) > 1]
    seen = dict.fromkeys(ws)
    seen.update(dict.fromkeys(f"{a}{PHRASE_JOIN}{b}" for a, b in itertools.pairwise(ws)))
    return list(seen)


def term_key(term: str) -> str:
    """A term as a person types it ("Flight  cancelled") → as stored ("flight_cancelled")."""
    return PHRASE_JOIN.join(term.lower().split())


def term_label(key: str) -> str:
    """A stored term as reports show it: `flight_cancelled` → "flight cancelled"."""
    return key.replace(PHRASE_JOIN, " ")
