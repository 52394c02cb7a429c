"""Word and phrase matching shared by the rule-based scorers: whole words only,
case-insensitive, many categories in one pass.

Matching walks the text's words once: only a word that starts some phrase is looked up further,
so the cost grows with the text, not with the number of phrases (a regex alternation of a few
hundred phrases tried at every position was the classifier's slowest step)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from classify import kernels

TOKEN = re.compile(r"[#@]?\w+(?:'\w+)?|[!?]+|[\U0001F300-\U0001FAFF\u2600-\u27BF]")


def tokenize(text: str) -> list[str]:
    """Lowercased tokens: words (with a leading # or @ kept), runs of ! or ?, single emoji.
    The learned models' features and the rule scorers read the same tokens."""
    return tokens_and_words(text)[0]


def tokens_and_words(text: str) -> tuple[list[str], list[str]]:
    """(`tokenize(text)`, `plain_words` of those tokens), in one pass where the compiled
    tokenizer (classify/_kernels.c) is built, else by `TOKEN` (the same lists)."""
    lowered = text.lower().replace("’", "'")
    if kernels.compiled is not None:
        return kernels.compiled.tokens_and_words(lowered)
    tokens = TOKEN.findall(lowered)
    return tokens, plain_words(tokens)


def plain_words(tokens: list[str]) -> list[str]:
    """The words among `tokens`, without # or @: what the rule scorers' phrases match."""
    return [t.lstrip("#@") for t in tokens if t[-1].isalnum() or t[-1] == "_"]


def words(text: str) -> list[str]:
    return tokens_and_words(text)[1]


class PhraseIndex:
    """Several named phrase lists: `find(text)` returns, per category that matched, the sorted
    phrases found. A phrase listed under two categories counts for the first (in the mapping's
    order)."""

    def __init__(self, categories: Mapping[str, Iterable[str]]) -> None:
        self.names = list(categories)
        self._starts: dict[str, list[tuple[tuple[str, ...], str, str]]] = {}
        seen: set[tuple[str, ...]] = set()
        for name in self.names:
            for phrase in categories[name]:
                key = tuple(words(phrase))
                if not key or key in seen:
                    continue
                seen.add(key)
                self._starts.setdefault(key[0], []).append((key, " ".join(key), name))
        for candidates in self._starts.values():
            candidates.sort(key=lambda c: -len(c[0]))  # the longest phrase first
        # words that start a phrase of two or more words: only where one occurs can a match
        # take in the words after it, so only then must the text be walked word by word
        self._multi = frozenset(w for w, cs in self._starts.items() if len(cs[0][0]) > 1)

    def find_words(self, ws: list[str]) -> dict[str, list[str]]:
        if kernels.compiled is not None:  # one compiled walk, however many phrases start here
            found = kernels.compiled.phrase_hits(ws, self._starts)
        else:
            starts = self._starts
            present = starts.keys() & ws
            if not present:  # most texts: no phrase starts here at all
                return {}
            if self._multi.isdisjoint(present):  # one-word phrases only: each word is one
                found = [starts[word][0][2:0:-1] for word in present]  # (name, phrase)
            else:
                found = self._walk(ws)
        if not found:
            return {}
        hits: dict[str, set[str]] = {}
        for name, phrase in found:
            hits.setdefault(name, set()).add(phrase)
        if len(hits) == 1:
            ((name, phrases),) = hits.items()
            return {name: sorted(phrases)}
        return {name: sorted(hits[name]) for name in self.names if name in hits}

    def _walk(self, ws: list[str]) -> list[tuple[str, str]]:
        """(name, phrase) of each match, word by word: at a word that starts phrases, the
        longest that follows there is a match and its words are taken."""
        starts, found = self._starts, []
        i, n = 0, len(ws)
        while i < n:
            candidates = starts.get(ws[i])
            step = 1
            if candidates is not None:
                for key, phrase, name in candidates:
                    if tuple(ws[i : i + len(key)]) == key:
                        found.append((name, phrase))
                        step = len(key)
                        break
            i += step
        return found

    def find(self, text: str) -> dict[str, list[str]]:
        return self.find_words(words(text))


class PhraseSet:
    """Matches any of a set of words or phrases as whole words, case-insensitively."""

    def __init__(self, phrases: Iterable[str]) -> None:
        self._index = PhraseIndex({"": phrases})

    def find_words(self, ws: list[str]) -> list[str]:
        return self._index.find_words(ws).get("", [])

    def find(self, text: str) -> list[str]:
        return self.find_words(words(text))

    def __contains__(self, text: str) -> bool:
        return bool(self.find(text))
