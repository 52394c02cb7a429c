"""A cue regex's alternatives as the literal strings it can match, in the order it tries them.

The care cues (classify/care_language.py) are regexes of the form
`(?<![\\w#])(?:alt|alt|…)(?!\\w)` over lowercased text: whole words and short phrases with
optional letters (`cancell?ed`), small groups (`delay(?:ed|s)?`) and one number-of-units form
(`\\d+\\s*(?:hours?|…)`). Python's `re` tries every alternative at every position of a text,
which made the three cue sets about 11 µs of a tweet's classification. Each alternative here is
spelled out as the strings it can match, in the order the regex's backtracking tries them (an
optional part present before absent, a group's branches left to right), so a compiled loop
(`cue_count` in classify/_kernels.c) can look only at word starts and compare strings, and find
what the regex finds: the same non-overlapping, leftmost, first-alternative matches.
tests/classify/test_cue_table.py compares the two on the shared tweets and on generated text.

A pattern this does not spell out (a repeat other than `?`, a character class, a lookaround)
gives None: the caller keeps the regex.
"""

from __future__ import annotations

import itertools
import re

# `re`'s parser: its output is what `re.compile` builds from, so reading it cannot disagree
# with the regex about what a pattern means
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]

from classify import kernels

#: an entry: a literal the text must hold at a word start, followed by no word character; or
#: (UNITS, units): a run of decimal digits, any whitespace, then one of the units (a literal)
UNITS = "units"
Entry = str | tuple[str, tuple[str, ...]]

#: more strings than this from one alternative means a pattern this is not meant for
MAX_EXPANSIONS = 256


class Unsupported(ValueError):
    """A pattern part the table does not spell out."""


def cue_entries(alternatives: list[str]) -> tuple[Entry, ...] | None:
    """The table for a cue regex built from `alternatives` (the strings joined by `|`), or None
    when one of them is not spelled out (then the regex itself is used)."""
    try:
        return tuple(e for alt in alternatives for e in _entries(sre_parse.parse(alt)))
    except Unsupported:
        return None


def _entries(parsed) -> list[Entry]:
    items = list(parsed)
    if items and _is_repeat_of(items[0], sre.CATEGORY_DIGIT, 1):
        if len(items) < 2 or not _is_repeat_of(items[1], sre.CATEGORY_SPACE, 0):
            raise Unsupported("digits without the whitespace that follows them")
        units = tuple(_strings(items[2:]))
        if not units or any(not u or not u[0].isalpha() for u in units):
            raise Unsupported("units must start with a letter")
        return [(UNITS, units)]
    strings = _strings(items)
    if any(s == "" for s in strings):
        raise Unsupported("an alternative that can match nothing")
    return strings


def _is_repeat_of(item, category, low: int) -> bool:
    """Is `item` `\\d+` (category DIGIT, low 1) or `\\s*` (SPACE, 0), greedy and unbounded?"""
    op, av = item
    if op is not sre.MAX_REPEAT or av[0] != low or av[1] is not sre.MAXREPEAT:
        return False
    inner = list(av[2])
    return len(inner) == 1 and inner[0] == (sre.IN, [(sre.CATEGORY, category)])


def _strings(items) -> list[str]:
    """Every string a sequence of parts matches, in backtracking order (first part major)."""
    out = [""]
    for item in items:
        options = _options(item)
        out = ["".join(p) for p in itertools.product(out, options)]
        if len(out) > MAX_EXPANSIONS:
            raise Unsupported("too many strings")
    return out


def _options(item) -> list[str]:
    op, av = item
    if op is sre.LITERAL:
        return [chr(av)]
    if op is sre.SUBPATTERN:
        group, add_flags, del_flags, inner = av
        if group is not None or add_flags or del_flags:
            raise Unsupported("a capturing group or inline flags")
        return _strings(inner)
    if op is sre.BRANCH:
        return [s for branch in av[1] for s in _strings(branch)]
    if op is sre.MAX_REPEAT and av[0] == 0 and av[1] == 1:  # `x?`: with x first, then without
        return [*_strings(av[2]), ""]
    raise Unsupported(f"{op} is not spelled out")


def by_first_character(
    entries: tuple[Entry, ...],
) -> tuple[dict[str, tuple[Entry, ...]], tuple[Entry, ...]]:
    """The entries that may match at a position, by the character there: each literal under its
    first character, the units entries (any decimal digit) under every key and as the fallback
    for characters no literal starts with; table order kept, so the first that matches is the
    regex's."""
    units = tuple(e for e in entries if not isinstance(e, str))
    firsts = dict.fromkeys(e[0] for e in entries if isinstance(e, str))
    index = {c: tuple(e for e in entries if not isinstance(e, str) or e[0] == c) for c in firsts}
    return index, units


class CueSet:
    """Whole words and phrases (`alternatives`, regex syntax) matched in lowercased text: the
    regex `(?<![\\w#])(?:…)(?!\\w)`, which stays the definition (and what `findall` gives), and
    its table for the compiled count where both exist."""

    def __init__(self, alternatives: list[str]) -> None:
        self.regex = re.compile(r"(?<![\w#])(?:" + "|".join(alternatives) + r")(?!\w)")
        self.entries = cue_entries(alternatives)
        self.index, self.fallback = by_first_character(self.entries or ())
        compiled = kernels.compiled
        self._count = getattr(compiled, "cue_count", None) if self.entries is not None else None

    def count(self, low: str) -> int:
        """The matches in `low` (lowercased text): `len(self.regex.findall(low))`."""
        if self._count is not None:
            return self._count(low, self.index, self.fallback)
        return len(self.regex.findall(low))

    def found_in(self, low: str) -> bool:
        """`self.regex.search(low) is not None`."""
        if self._count is not None:
            return self._count(low, self.index, self.fallback, True) > 0
        return self.regex.search(low) is not None

    def findall(self, low: str) -> list[str]:
        return self.regex.findall(low)
