"""Learned text models: what `socialcare train` writes and the classifier loads by path.

A model is linear: the feature strings of a text (classify/features.py) are looked up in the
vocabulary learned in training, counted, TF-IDF weighted (sublinear, l2-normalized), and
scored by a logistic regression. Scoring a batch is dict lookups and a few numpy operations:
no sklearn, no pickle. Training (classify/training.py) fits the same steps with sklearn and
exports their numbers here; a test checks both give the same probabilities.

A model may also weigh the default's own reading of the text (classify/prior.py: its care
label, VADER's scores, the care cues) as a few dense columns after the words; `meta.prior` then
names them and `prior_coef` holds their weights.

A model directory holds `meta.json` (task, labels, feature set and version, training size,
cross-validated scores, library versions), `vocabulary.json` (the feature strings of each part,
in column order) and `weights.npz` (idf, coefficients, intercepts, prior weights; read without
pickle, so a model file cannot run code). The case store keeps the same three as blobs
(`to_blobs` / `from_blobs`, socialcare/store/models.py).
"""

from __future__ import annotations

import io
import itertools
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from classify import kernels
from classify.features import FEATURE_SETS, FEATURES_VERSION, Features, char_words, word_grams
from classify.text import bounded
from classify.token_ids import ModelColumns, lookup
from socialcare.errors import InputError

TASKS = ("sentiment", "complaint", "topic")
FORMAT = 4  # 4: optional prior columns; 3 (no prior) still loads
READABLE_FORMATS = (3, 4)
FILES = ("meta.json", "vocabulary.json", "weights.npz")
CHAR_CACHE_WORDS = 50_000  # about 15 MB of column tuples at most
# a count's sublinear tf, looked up: every count a bounded text can give (classify/text.py)
_SUBLINEAR = np.concatenate([[0.0], 1.0 + np.log(np.arange(1, 4096))])


class ModelError(InputError):
    pass


@dataclass
class TextModel:
    task: str
    meta: dict[str, Any]
    vocabularies: list[dict[str, int]]  # one per feature part; columns numbered across parts
    idf: np.ndarray  # (columns,)
    coef: np.ndarray  # (columns, 1) for two labels, else (columns, labels)
    intercept: np.ndarray  # (1,) or (labels,)
    prior_coef: np.ndarray | None = None  # (prior columns, 1 or labels), see classify/prior.py

    @property
    def labels(self) -> list[str]:
        return [str(x) for x in self.meta["labels"]]

    @property
    def feature_set(self) -> str:
        return str(self.meta.get("feature_set", "words"))

    @property
    def prior_scale(self) -> float | None:
        """The scale of the prior columns, or None for a model without them."""
        prior = self.meta.get("prior")
        return float(prior["scale"]) if prior and self.prior_coef is not None else None

    @property
    def version(self) -> str:
        return str(self.meta.get("version") or self.meta.get("trained_at", "?"))

    def _prior_z(self, features: Features) -> np.ndarray | None:
        scale = self.prior_scale
        if scale is None:
            return None
        return (features.prior() * scale) @ self.prior_coef

    def __post_init__(self) -> None:
        # one more column for every string the vocabulary lacks: idf 0 and no weight, so
        # unknown strings count for nothing, as in training, and lookups need no filtering
        self._unknown = len(self.idf)
        self._idf = np.append(self.idf, 0.0).astype(np.float64)
        self._coef = np.vstack([self.coef, np.zeros((1, self.coef.shape[1]))]).astype(np.float64)
        self._coef_columns = [np.ascontiguousarray(col) for col in self._coef.T]  # for gathers
        # word pairs are looked up by the columns of their two words (a pair seen in
        # training is made of words seen at least as often), so scoring never builds pair strings
        words = self.vocabularies[0] if FEATURE_SETS[self.feature_set][0] == "words" else {}
        pairs = [(s.split(" "), col) for s, col in words.items() if " " in s]
        width = len(self._idf)
        keys = np.array([words[a] * width + words[b] for (a, b), _ in pairs], dtype=np.int64)
        order = np.argsort(keys)
        self._pair_keys = keys[order]
        self._pair_cols = np.array([col for _, col in pairs], dtype=np.int64)[order]
        self._pair_table: tuple[np.ndarray, np.ndarray] | None = None
        if kernels.compiled is not None and len(keys):  # the same pairs, found by hash
            size = 1 << (2 * len(keys) - 1).bit_length()
            table = (np.empty(size, dtype=np.int64), np.empty(size, dtype=np.int64))
            kernels.compiled.pair_table(self._pair_keys, self._pair_cols, *table)
            self._pair_table = table
        self._word_grams: _WordGrams | None = None
        self._token_cols = ModelColumns(words, self._unknown)
        self._column_names: list[str] | None = None

    def _weighted(self, features: Features) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row, column, TF-IDF value) of each distinct feature of each text, l2-normalized."""
        n = len(features.texts)
        width = len(self._idf)
        keys, counts = _counted(self._keys(features), n * width)
        r, c = np.divmod(keys, width)
        tf = _SUBLINEAR[counts] if counts.max(initial=0) < len(_SUBLINEAR) else 1 + np.log(counts)
        val = tf * self._idf[c]  # sublinear tf × idf
        norm = np.sqrt(np.bincount(r, weights=val * val, minlength=n))
        val /= np.where(norm > 0, norm, 1.0)[r]
        return r, c, val

    def predict_proba_features(self, features: Features) -> np.ndarray:
        """P(label) per text (rows) and label (columns, in `labels` order), for a whole batch."""
        z = self._scores(features)
        z += self.intercept
        prior = self._prior_z(features)
        if prior is not None:
            z += prior
        if z.shape[1] == 1:  # two labels: the regression scores the second
            p = 1.0 / (1.0 + np.exp(-z[:, 0]))
            return np.column_stack([1.0 - p, p])
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        return z

    def _scores(self, features: Features) -> np.ndarray:
        """Per text and label, the sum of its TF-IDF weights × coefficients: in one compiled
        pass where classify/_kernels.c is built, else with numpy (the same numbers)."""
        n = len(features.texts)
        z = np.zeros((n, self._coef.shape[1]))
        if kernels.compiled is not None:
            keys = _sorted_keys(self._keys(features), n * len(self._idf))
            kernels.compiled.tfidf_scores(
                keys, len(self._idf), self._idf, _SUBLINEAR, self._coef, z
            )
            return z
        r, c, val = self._weighted(features)
        for j, column in enumerate(self._coef_columns):
            z[:, j] = np.bincount(r, weights=val * column[c], minlength=n)
        return z

    def reasons(self, features: Features, labels: Sequence[str], top: int = 3) -> list[list[str]]:
        """Per text, the features that pushed it most towards `labels[i]` (its predicted label),
        with their weight in the regression's score: what an agent or admin reads as "why"."""
        r, c, val = self._weighted(features)
        index = {label: i for i, label in enumerate(self.labels)}
        if self._coef.shape[1] == 1:  # two labels: one column scores the second label
            sign = np.array([1.0 if index[lbl] == 1 else -1.0 for lbl in labels])
            push = val * self._coef[c, 0] * sign[r]
        else:
            wanted = np.array([index[lbl] for lbl in labels], dtype=np.int64)
            push = val * self._coef[c, wanted[r]]
        names = self._names()
        found: list[list[tuple[float, str]]] = [[] for _ in labels]
        for i in np.lexsort((-push, r)).tolist():  # by text, strongest first
            row = int(r[i])
            if len(found[row]) < top and push[i] > 0 and c[i] < len(names):
                found[row].append((float(push[i]), names[c[i]]))
        scale = self.prior_scale
        if scale is not None:
            from classify.prior import NAMES

            weighted = features.prior() * scale
            for row, label in enumerate(labels):
                k = index[label]
                if self.prior_coef.shape[1] == 1:
                    pushes = weighted[row] * self.prior_coef[:, 0] * (1.0 if k == 1 else -1.0)
                else:
                    pushes = weighted[row] * self.prior_coef[:, k]
                found[row] += [(float(v), NAMES[j]) for j, v in enumerate(pushes) if v > 0]
        return [
            [f"{name} {v:+.2f}" for v, name in sorted(row, reverse=True)[:top]] for row in found
        ]

    def _names(self) -> list[str]:
        """Each column as an agent reads it (built once, on the first explanation)."""
        if self._column_names is None:
            names = [""] * len(self.idf)
            for vocabulary, part in zip(
                self.vocabularies, FEATURE_SETS[self.feature_set], strict=True
            ):
                for string, col in vocabulary.items():
                    names[col] = f"chars '{string}'" if part == "chars" else _readable(string)
            self._column_names = names
        return self._column_names

    def _keys(self, features: Features) -> np.ndarray:
        """Every feature of the batch as one integer, text row × width + column; lookups run
        in C or numpy."""
        width = len(self._idf)
        keys: list[np.ndarray] = []
        for part, vocabulary in zip(FEATURE_SETS[self.feature_set], self.vocabularies, strict=True):
            if part == "words":  # each token's column and tag by its id (classify/token_ids.py)
                word_rows, ids, table = features.token_ids()
                word_cols = self._token_cols.words(table)[ids]
                pair_rows, pair_cols = self._pairs(word_rows, word_cols)
                tag_rows, tag_cols = self._token_cols.tags(word_rows, ids, table)
                rows = np.concatenate([word_rows, pair_rows, tag_rows])
                keys.append(rows * width + np.concatenate([word_cols, pair_cols, tag_cols]))
            else:
                keys.append(self._char_keys(features.texts, vocabulary))
        return np.concatenate(keys)

    def _char_keys(self, texts: Sequence[str], vocabulary: dict[str, int]) -> np.ndarray:
        """Character n-grams by word: a word's known n-gram columns are worked out once and
        kept (see `_WordGrams`), since words repeat far more than texts do; a batch is then
        one dict lookup per word and a gather."""
        per_text = [char_words(t) for t in texts]
        words = list(itertools.chain.from_iterable(per_text))
        table = self._word_grams
        if table is None:
            table = self._word_grams = _WordGrams(vocabulary)
        word_rows = np.repeat(np.arange(len(texts), dtype=np.int64), list(map(len, per_text)))
        return table.keys(words, word_rows, len(self._idf))

    def _pairs(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The known word pairs among consecutive words of one text."""
        if len(cols) < 2 or not len(self._pair_keys):
            return rows[:0], cols[:0]
        if self._pair_table is not None and kernels.compiled is not None:
            out_rows, out_cols = (
                np.empty(len(cols) - 1, np.int64),
                np.empty(len(cols) - 1, np.int64),
            )
            m = kernels.compiled.pair_columns(
                rows, cols, self._unknown, len(self._idf), *self._pair_table, out_rows, out_cols
            )
            return out_rows[:m], out_cols[:m]
        left, right = cols[:-1], cols[1:]
        ok = (left != self._unknown) & (right != self._unknown) & (rows[:-1] == rows[1:])
        keys = left[ok] * len(self._idf) + right[ok]
        pos = np.minimum(np.searchsorted(self._pair_keys, keys), len(self._pair_keys) - 1)
        hit = self._pair_keys[pos] == keys
        return rows[:-1][ok][hit], self._pair_cols[pos[hit]]

    def predict_features(self, features: Features) -> list[str]:
        proba = self.predict_proba_features(features)
        classes = self.labels
        return [classes[i] for i in proba.argmax(axis=1).tolist()]

    def predict(self, texts: list[str]) -> list[str]:
        if not texts:
            return []
        return self.predict_features(Features([bounded(t) for t in texts]))

    def to_blobs(self) -> tuple[dict[str, Any], bytes, bytes]:
        """(meta, vocabulary.json bytes, weights.npz bytes): what a model directory or the case
        store keeps."""
        vocabulary = orjson.dumps([sorted(v, key=v.__getitem__) for v in self.vocabularies])
        buf = io.BytesIO()
        arrays = {"idf": self.idf, "coef": self.coef, "intercept": self.intercept}
        if self.prior_coef is not None:
            arrays["prior_coef"] = self.prior_coef
        np.savez_compressed(buf, **arrays)
        return self.meta, vocabulary, buf.getvalue()

    def save(self, out: Path) -> None:
        meta, vocabulary, weights = self.to_blobs()
        try:
            out.mkdir(parents=True, exist_ok=True)
            (out / "vocabulary.json").write_bytes(vocabulary)
            (out / "weights.npz").write_bytes(weights)
            (out / "meta.json").write_text(json.dumps(meta, indent=2))
        except OSError as exc:
            raise ModelError(f"cannot write the model to {out}: {exc.strerror or exc}") from None


def _sorted_keys(keys: np.ndarray, bound: int) -> np.ndarray:
    """Keys in [0, bound) sorted in place, as 32-bit integers when they fit (a batch's keys
    usually do: half the bytes to sort)."""
    if bound <= np.iinfo(np.int32).max:
        keys = keys.astype(np.int32)
    keys.sort()
    return keys


def _counted(keys: np.ndarray, bound: int) -> tuple[np.ndarray, np.ndarray]:
    """`np.unique(keys, return_counts=True)` for keys in [0, bound) (`_sorted_keys`)."""
    keys = _sorted_keys(keys, bound)
    first = np.empty(len(keys), dtype=bool)
    first[:1] = True
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    return keys[starts], np.diff(starts, append=len(keys))


class _WordGrams:
    """The known character n-gram columns of each word seen, kept flat: word k's columns are
    `cols[start[k] : start[k] + count[k]]`. Holds at most CHAR_CACHE_WORDS words; when full it
    starts again (which costs only the work it saved). One batch at a time (a lock): a desk
    thread and the pipeline may score with the same model."""

    def __init__(self, vocabulary: dict[str, int]) -> None:
        self.vocabulary = vocabulary
        self._lock = threading.Lock()
        self._clear()

    def _clear(self) -> None:
        self.index: dict[str, int] = {}
        self.start = np.zeros(1024, dtype=np.int64)
        self.count = np.zeros(1024, dtype=np.int64)
        self.cols = np.zeros(16_384, dtype=np.int64)
        self.used = 0  # of `cols`

    def keys(self, words: list[str], rows: np.ndarray, width: int) -> np.ndarray:
        """For each word in order, row × width + column of each of its known n-grams
        (`rows`: the text row of each word)."""
        with self._lock:
            k = self._ids(words)
            counts = self.count[k]
            if kernels.compiled is not None:
                out = np.empty(int(counts.sum()), dtype=np.int64)
                kernels.compiled.gram_keys(k, rows, self.start, self.count, self.cols, width, out)
                return out
            ends = np.cumsum(counts)
            gather = np.arange(int(ends[-1]) if len(ends) else 0, dtype=np.int64)
            gather += np.repeat(self.start[k] - (ends - counts), counts)
            return np.repeat(rows, counts) * width + self.cols[gather]

    def _ids(self, words: list[str]) -> np.ndarray:
        """Each word's index in the table, adding the words not held yet."""
        ids = lookup(self.index, words)
        missing = np.flatnonzero(ids < 0)
        if len(missing):  # work out only the words not seen yet, all at once
            new = list(dict.fromkeys(words[i] for i in missing.tolist()))
            if len(self.index) + len(new) > CHAR_CACHE_WORDS:
                self._clear()
                new = list(dict.fromkeys(words))
            self._add(new)
            ids = lookup(self.index, words)
        return ids

    def _known_grams(self, words: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(the known n-gram columns of the words, in order; how many each word has)."""
        if kernels.compiled is not None:
            found, counts = kernels.compiled.gram_columns(words, self.vocabulary)
            return np.frombuffer(found, np.int64), np.frombuffer(counts, np.int64)
        grams = [word_grams(w) for w in words]
        found = np.fromiter(
            map(self.vocabulary.get, itertools.chain.from_iterable(grams), itertools.repeat(-1)),
            np.int64,
        )
        known = found >= 0
        offsets = np.cumsum([0, *map(len, grams[:-1])])  # every word has 3 or more n-grams
        counts = np.add.reduceat(known, offsets).astype(np.int64)
        return found[known], counts

    def _add(self, words: list[str]) -> None:
        """Add distinct words not held yet: their n-grams looked up in one pass, the known
        ones' columns appended."""
        found, counts = self._known_grams(words)
        k, used = len(self.index), self.used
        if k + len(words) > len(self.start):
            self.start = np.resize(self.start, max(k + len(words), 2 * len(self.start)))
            self.count = np.resize(self.count, len(self.start))
        if used + len(found) > len(self.cols):
            self.cols = np.resize(self.cols, max(used + len(found), 2 * len(self.cols)))
        self.cols[used : used + len(found)] = found
        self.start[k : k + len(words)] = used + np.cumsum(counts) - counts
        self.count[k : k + len(words)] = counts
        self.used = used + len(found)
        self.index.update(zip(words, range(k, k + len(words)), strict=True))


def load(path: Path, task: str | None = None) -> TextModel:
    if not (path / "meta.json").is_file():
        raise ModelError(
            f"{path} is not a model directory (needs {', '.join(FILES)}; "
            "make one with `socialcare train --out DIR`)"
        )
    try:
        meta = json.loads((path / "meta.json").read_text())
        _check_format(meta, str(path), task)
        missing = [name for name in FILES if not (path / name).is_file()]
        if missing:
            raise ModelError(f"{path}: model files missing: {', '.join(missing)}")
        vocabulary = (path / "vocabulary.json").read_bytes()
        weights = (path / "weights.npz").read_bytes()
    except ModelError:
        raise
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path}: not a usable model directory ({exc})") from None
    return from_blobs(meta, vocabulary, weights, task, str(path))


def from_blobs(
    meta: Any, vocabulary: bytes, weights: bytes, task: str | None = None, where: str = "model"
) -> TextModel:
    """A model from what `to_blobs` gave; checked, and never unpickled."""
    try:
        _check_format(meta, where, task)
        parts = orjson.loads(vocabulary)
        with np.load(io.BytesIO(weights), allow_pickle=False) as w:
            idf, coef, intercept = w["idf"], w["coef"], w["intercept"]
            prior_coef = w["prior_coef"] if "prior_coef" in w.files else None
        model = TextModel(
            meta["task"], meta, _vocabularies(parts), idf, coef, intercept, prior_coef
        )
        _check(model)
    except ModelError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"{where}: not a usable model ({exc})") from None
    return model


def _check_format(meta: Any, where: str, task: str | None) -> None:
    if not isinstance(meta, dict):
        raise ModelError(f"{where}: meta.json is not a JSON object")
    if task is not None and meta.get("task") != task:
        raise ModelError(f"{where} holds a {meta.get('task')!r} model, not {task!r}")
    if meta.get("format") not in READABLE_FORMATS or meta.get("features") != FEATURES_VERSION:
        raise ModelError(
            f"{where} was trained by an older socialcare (format {meta.get('format')}, "
            f"features {meta.get('features')!r}); train it again with `socialcare train`"
        )


def _vocabularies(parts: Any) -> list[dict[str, int]]:
    if not isinstance(parts, list) or not all(isinstance(p, list) for p in parts):
        raise ValueError("vocabulary.json must be a list of string lists")
    out, start = [], 0
    for strings in parts:
        out.append(dict(zip(strings, range(start, start + len(strings)), strict=True)))
        start += len(strings)
    return out


def _check(model: TextModel) -> None:
    """Shapes that fit together, so a damaged model fails at load, not mid-stream."""
    width = sum(len(v) for v in model.vocabularies)
    labels = model.meta.get("labels")
    if model.feature_set not in FEATURE_SETS:
        raise ValueError(f"unknown feature set {model.feature_set!r}")
    if len(model.vocabularies) != len(FEATURE_SETS[model.feature_set]):
        raise ValueError("vocabulary parts do not match the feature set")
    if not isinstance(labels, list) or len(labels) < 2:
        raise ValueError("meta.json needs at least two labels")
    k = 1 if len(labels) == 2 else len(labels)
    if model.idf.shape != (width,) or model.coef.shape != (width, k):
        raise ValueError(f"weights do not fit a vocabulary of {width} and {len(labels)} labels")
    if model.intercept.shape != (k,):
        raise ValueError("intercepts do not fit the labels")
    prior = model.meta.get("prior")
    if prior is not None:
        from classify.prior import NAMES

        if list(prior.get("names", [])) != list(NAMES) or not float(prior.get("scale", 0)) > 0:
            raise ValueError("meta.prior names other prior features than this socialcare has")
        if model.prior_coef is None or model.prior_coef.shape != (len(NAMES), k):
            raise ValueError("prior weights do not fit the prior features and labels")


def load_dir(models: Path | None) -> dict[str, TextModel]:
    """`--models DIR`: one subdirectory per task; tasks without one use the default."""
    if models is None:
        return {}
    if not models.is_dir():
        raise ModelError(f"--models {models}: not a directory")
    return {t: load(models / t, t) for t in TASKS if (models / t / "meta.json").is_file()}


_TAGS = {"__pos": "positive word", "__pos2": "strongly positive word", "__neg": "negative word"}
_TAGS["__neg2"] = "strongly negative word"


def _readable(feature: str) -> str:
    """A `words` feature: `__not__neg2` → `negated strongly negative word`; words and pairs
    quoted."""
    negated = feature.startswith("__not__")
    tag = _TAGS.get(feature.removeprefix("__not") if negated else feature)
    if tag is not None:
        return f"negated {tag}" if negated else tag
    return f"'{feature}'"
