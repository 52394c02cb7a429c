"""Text features shared by every learned model, computed once per batch.

Each text becomes lists of feature strings ("parts"): `words` are the words and word pairs of
the lowercased text (any @handle is `@`) plus tags from VADER's lexicon (`__pos`, `__neg2`,
`__not__pos` after a negation, …), which carry what VADER knows about words into the learned
model at the cost of a dict lookup per word; `chars` are character 2–5-grams within words.
A model maps the strings of its parts to columns through the vocabulary it learned
(classify/learned.py), so scoring needs only dict lookups and numpy: no hashing, no sklearn.
Every model reads the same tokens, each looked up once by id (classify/token_ids.py), so a batch
is tokenized and looked up once however many models score it.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from classify.keywords import tokens_and_words
from classify.token_ids import MAX_TOKENS, TokenTable

FEATURES_VERSION = "vocab-3"
NEGATIONS = frozenset(
    [
        "not",
        "no",
        "never",
        "nothing",
        "nobody",
        "none",
        "cant",
        "can't",
        "cannot",
        "won't",
        "wont",
        "don't",
        "dont",
        "didn't",
        "didnt",
        "isn't",
        "isnt",
        "wasn't",
        "wasnt",
        "doesn't",
        "doesnt",
        "haven't",
        "havent",
        "hasn't",
        "hasnt",
        "aren't",
        "arent",
    ]
)


def _lexicon_tags() -> dict[str, str]:
    tags = {}
    for word, valence in SentimentIntensityAnalyzer().lexicon.items():
        if valence >= 2:
            tags[word] = "__pos2"
        elif valence > 0:
            tags[word] = "__pos"
        elif valence <= -2:
            tags[word] = "__neg2"
        elif valence < 0:
            tags[word] = "__neg"
    return tags


LEXICON_TAGS = _lexicon_tags()
_table = TokenTable(LEXICON_TAGS, NEGATIONS)


def token_table(room: int = 0) -> TokenTable:
    """The process's token-id table (classify/token_ids.py); a fresh one when it would pass
    MAX_TOKENS with `room` more tokens."""
    global _table
    if len(_table) + room > MAX_TOKENS:
        _table = TokenTable(LEXICON_TAGS, NEGATIONS)
    return _table


def feature_words(tokens: list[str]) -> list[str]:
    """A text's tokens as the models read them: any @handle is `@`."""
    return ["@" if w[0] == "@" else w for w in tokens]


def lexicon_tags(words: list[str]) -> list[str]:
    """VADER-lexicon tags of the words, in order; `__not` before a tag right after a negation."""
    tags = LEXICON_TAGS
    if NEGATIONS.isdisjoint(words):  # most texts: the whole lookup runs in C
        return list(filter(None, map(tags.get, words)))
    out, negated = [], False
    for word in words:
        tag = tags.get(word)
        if tag is not None:
            out.append("__not" + tag if negated else tag)
        negated = word in NEGATIONS
    return out


def analyze_tokens(tokens: list[str]) -> list[str]:
    """The `words` part of one text as strings: words, word pairs (`a b`), lexicon tags.
    (Scoring reads the same features without building the pair strings: classify/learned.py.)"""
    words = feature_words(tokens)
    return words + list(map(" ".join, itertools.pairwise(words))) + lexicon_tags(words)


def char_words(text: str) -> list[str]:
    """The words character n-grams are taken from: lowercased, split on whitespace."""
    return text.lower().split()


def word_grams(word: str) -> list[str]:
    """Character 2–5-grams of one word padded with spaces (sklearn's `char_wb`)."""
    w = f" {word} "
    size = len(w)
    return [w[i : i + n] for n in range(2, min(5, size) + 1) for i in range(size - n + 1)]


def char_grams(text: str) -> list[str]:
    return [g for word in char_words(text) for g in word_grams(word)]


# character n-grams cost about 2x the scoring time and help where data are few and varied
# (complaints from nine domains: 5-fold macro-F1 0.79 → 0.83); on airline sentiment they add nothing
FEATURE_SETS: dict[str, tuple[str, ...]] = {"words": ("words",), "words+chars": ("words", "chars")}
DEFAULT_FEATURES = {"sentiment": "words", "complaint": "words+chars", "topic": "words"}


class Features:
    """The feature parts of one batch, each computed at most once however many models ask."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = texts
        self._parts: dict[str, list[list[str]]] = {}
        self._tokens: list[list[str]] | None = None
        self._words: list[list[str]] = []
        self._token_ids: tuple[np.ndarray, np.ndarray, TokenTable] | None = None
        self._prior = None

    @property
    def tokens(self) -> list[list[str]]:
        if self._tokens is None:
            self._tokenize()
        return self._tokens

    def _tokenize(self) -> None:
        pairs = list(map(tokens_and_words, self.texts))
        self._tokens = [tokens for tokens, _words in pairs]
        self._words = [words for _tokens, words in pairs]

    def token_ids(self) -> tuple[np.ndarray, np.ndarray, TokenTable]:
        """Every token of the batch in order as (its text's row, its id in `table`, table):
        what the learned models score, each token looked up once for all of them."""
        if self._token_ids is None:
            tokens = self.tokens
            flat = list(itertools.chain.from_iterable(tokens))
            table = token_table(len(flat))
            rows = np.repeat(np.arange(len(tokens), dtype=np.int64), list(map(len, tokens)))
            self._token_ids = (rows, table.ids(flat), table)
        return self._token_ids

    def words(self) -> list[list[str]]:
        """Per text, the plain words the rule scorers match (from the same tokens)."""
        if self._tokens is None:
            self._tokenize()
        return self._words

    def prior(self):
        """The default's reading of each text as dense columns (classify/prior.py), computed
        once per batch."""
        if self._prior is None:
            from classify.prior import prior_matrix

            self._prior = prior_matrix(self.texts)
        return self._prior

    def part(self, name: str) -> list[list[str]]:
        """Per text, the feature strings of one part (`words` or `chars`)."""
        if name not in self._parts:
            if name == "words":
                self._parts[name] = [analyze_tokens(t) for t in self.tokens]
            elif name == "chars":
                self._parts[name] = [char_grams(t) for t in self.texts]
            else:
                raise ValueError(f"unknown feature part {name!r}; known: words, chars")
        return self._parts[name]
