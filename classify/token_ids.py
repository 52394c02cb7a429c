"""Token ids shared by every learned model in a process: each distinct token is looked up once.

Scoring a batch with two models used to look every token up in each model's vocabulary, and
build each text's lexicon tags as strings first. Now a batch's tokens become ids with one dict
lookup per token (`TokenTable.ids`); what a token means to a model (its word column) or to VADER's
lexicon (its tag, whether it negates) is kept per id, so the rest is numpy gathers. A model keeps
its own column per id (`ModelColumns`), extended as the table grows.

A process holds one table (classify/features.py, `token_table`) of at most MAX_TOKENS distinct
tokens; when full, a new one starts, and a model notices by the table's identity and starts its
columns again. A table is only ever added to (under a lock), so a batch can keep reading the
table it started with.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Mapping, Set

import numpy as np

from classify import kernels

MAX_TOKENS = 200_000  # about 30 MB of strings, ids and per-model columns at most
TAG_NAMES = ("__pos", "__pos2", "__neg", "__neg2")  # tag code k (1..4) is TAG_NAMES[k - 1]
_TAG_CODE = {name: k for k, name in enumerate(TAG_NAMES, start=1)}


def lookup(index: dict[str, int], keys: list[str]) -> np.ndarray:
    """`index[key]` of each key in order (int64), -1 for a key not in `index`: one compiled
    pass where classify/_kernels.c is built."""
    if kernels.compiled is not None:
        return np.frombuffer(kernels.compiled.lookup(index, keys), np.int64)
    return np.fromiter(map(index.get, keys, itertools.repeat(-1)), np.int64, len(keys))


class TokenTable:
    """Distinct tokens in order of first sight, with what the scorers need of each."""

    def __init__(self, lexicon_tags: Mapping[str, str], negations: Set[str]) -> None:
        self._lexicon_tags, self._negations = lexicon_tags, negations
        self.index: dict[str, int] = {}
        self.features: list[str] = []  # the token as the models read it (any @handle is `@`)
        self._tags = np.zeros(1024, dtype=np.int8)
        self._negates = np.zeros(1024, dtype=bool)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.features)

    @property
    def tags(self) -> np.ndarray:
        """Per id, its VADER-lexicon tag code (0: none, else 1 + TAG_NAMES position)."""
        return self._tags[: len(self.features)]

    @property
    def negates(self) -> np.ndarray:
        """Per id, whether the token is a negation (the next token's tag gets `__not`)."""
        return self._negates[: len(self.features)]

    def ids(self, tokens: list[str]) -> np.ndarray:
        """The id of each token, adding the ones not seen yet."""
        found = lookup(self.index, tokens)
        missing = np.flatnonzero(found < 0)
        if len(missing):
            found = found.copy()
            with self._lock:
                found[missing] = [self._add(tokens[i]) for i in missing.tolist()]
        return found

    def _add(self, token: str) -> int:
        k = self.index.get(token)
        if k is not None:
            return k
        k = len(self.features)
        if k == len(self._tags):
            self._tags = np.resize(self._tags, 2 * k)
            self._negates = np.resize(self._negates, 2 * k)
        feature = "@" if token[0] == "@" else token
        self._tags[k] = _TAG_CODE.get(self._lexicon_tags.get(feature, ""), 0)
        self._negates[k] = feature in self._negations
        self.features.append(feature)  # after the arrays: a reader sees a whole entry or none
        self.index[token] = k
        return k


class ModelColumns:
    """One model's column for each token id of a table, and for each lexicon tag."""

    def __init__(self, vocabulary: Mapping[str, int], unknown: int) -> None:
        self.vocabulary = vocabulary
        self.unknown = unknown
        # (the table, the columns of its ids so far): one attribute, read and set at once, so a
        # thread never pairs one table with another's columns
        self._held: tuple[TokenTable | None, np.ndarray] = (None, np.zeros(0, dtype=np.int64))
        # tag code k → column; k + 4 → the column of its negated form (`__not__pos`, …)
        names = ["", *TAG_NAMES, *("__not" + t for t in TAG_NAMES)]
        self.tag_cols = np.array([vocabulary.get(n, unknown) for n in names], dtype=np.int64)
        self.tag_cols[0] = unknown

    def words(self, table: TokenTable) -> np.ndarray:
        """Per id of `table`, the model's column of the token (`unknown` when it has none)."""
        held, cols = self._held
        if held is not table:
            cols = np.zeros(0, dtype=np.int64)
        have, size = len(cols), len(table)
        if have < size:
            get, unknown = self.vocabulary.get, self.unknown
            new = [get(f, unknown) for f in table.features[have:size]]
            cols = np.concatenate([cols, np.array(new, dtype=np.int64)])
        self._held = (table, cols)  # another thread's may replace it: each is right for its table
        return cols

    def tags(
        self, rows: np.ndarray, ids: np.ndarray, table: TokenTable
    ) -> tuple[np.ndarray, np.ndarray]:
        """(row, column) of each lexicon tag among a batch's tokens (`rows`, `ids` in text
        order), negated when the token before it in the same text is a negation."""
        codes = table.tags[ids]
        has = codes > 0
        negated = np.zeros(len(ids), dtype=bool)
        if len(ids) > 1:
            negated[1:] = table.negates[ids[:-1]] & (rows[1:] == rows[:-1])
        return rows[has], self.tag_cols[codes[has] + 4 * negated[has]]
