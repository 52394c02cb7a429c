"""Text similarity for grouping posts about the same thing (incidents).

A post becomes a sparse vector of weighted terms: its words (lowercased, without handles, links,
numbers and stop words), its word pairs (so "log in" and "can't log" carry order), and the
character 4-grams of its longer words (so "crash", "crashes" and "crashing", or a typo, still
meet). Weights are sublinear term frequency times inverse document frequency, the IDF taken from
a reference set of the same brand's posts, so words every post of that brand uses ("flight",
the brand's name) weigh little. Similarity is the cosine of two vectors.

`Group` is the online clustering step: posts in time order each join the most similar group
whose centroid is at least `threshold` alike, or start a new one.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from socialcare.stream.terms import words

Vector = dict[str, float]


def terms(text: str) -> Counter[str]:
    """Words, word pairs (`a_b`) and character 4-grams (`#gram`) of a post, counted."""
    ws = [w for w in words(text) if len(w) > 1]
    out: Counter[str] = Counter(ws)
    out.update(f"{a}_{b}" for a, b in pairwise(ws))
    for w in ws:
        if len(w) >= 5:
            padded = f"<{w}>"
            out.update("#" + padded[i : i + 4] for i in range(len(padded) - 3))
    return out


@dataclass
class Idf:
    """Inverse document frequencies from a reference set of posts (smoothed)."""

    docs: int = 0
    df: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, texts: Iterable[str]) -> Idf:
        idf = cls()
        for text in texts:
            idf.add(terms(text))
        return idf

    def add(self, counted: Counter[str]) -> None:
        self.docs += 1
        self.df.update(counted.keys())

    def weight(self, term: str) -> float:
        return math.log((1 + self.docs) / (1 + self.df.get(term, 0))) + 1.0


def vector(text: str, idf: Idf) -> Vector:
    """A unit-length weighted term vector of a post."""
    counted = terms(text)
    vec = {t: (1.0 + math.log(n)) * idf.weight(t) for t, n in counted.items()}
    return normalized(vec)


def normalized(vec: Vector) -> Vector:
    norm = math.sqrt(sum(v * v for v in vec.values()))
    return {t: v / norm for t, v in vec.items()} if norm else {}


def cosine(a: Vector, b: Vector) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(t, 0.0) for t, v in a.items())


@dataclass
class Group:
    """A group of alike posts: members (by index) and the running sum of their vectors."""

    members: list[int] = field(default_factory=list)
    total: Vector = field(default_factory=dict)

    def add(self, index: int, vec: Vector) -> None:
        self.members.append(index)
        for t, v in vec.items():
            self.total[t] = self.total.get(t, 0.0) + v

    def centroid(self, keep: int = 300) -> Vector:
        """The normalized mean, cut to its `keep` heaviest terms (a stored signature)."""
        top = sorted(self.total.items(), key=lambda kv: -kv[1])[:keep]
        return normalized(dict(top))


def cluster(vectors: Sequence[Vector], threshold: float) -> list[Group]:
    """Online clustering: each vector, in order, joins the most alike group (cosine to the
    group's centroid at least `threshold`) or starts one. Groups come back largest first."""
    groups: list[Group] = []
    centroids: list[Vector] = []
    for i, vec in enumerate(vectors):
        best, best_sim = -1, threshold
        for g, centre in enumerate(centroids):
            sim = cosine(vec, centre)
            if sim >= best_sim:
                best, best_sim = g, sim
        if best < 0:
            groups.append(Group())
            centroids.append({})
            best = len(groups) - 1
        groups[best].add(i, vec)
        centroids[best] = normalized(groups[best].total)
    return sorted(groups, key=lambda g: -len(g.members))


def top_terms(centre: Vector, n: int = 5) -> list[str]:
    """The heaviest words and word pairs of a centroid, for a title (no character grams)."""
    readable = [(t, v) for t, v in centre.items() if not t.startswith("#")]
    chosen: list[str] = []
    for t, _v in sorted(readable, key=lambda kv: -kv[1]):
        word = t.replace("_", " ")
        if any(word in c or c in word for c in chosen):
            continue
        chosen.append(word)
        if len(chosen) == n:
            break
    return chosen


def rising(
    window: Sequence[str], background: Idf, min_share: float = 0.05, min_ratio: float = 3.0
) -> Vector:
    """The signature of what a set of posts is about, against what is usual: the terms that
    appear in at least `min_share` of `window` (and 3 posts) and are at least `min_ratio` times
    more frequent there than in `background`, each weighted by log(ratio) × share. A post is
    about the same thing when its vector's cosine with this signature is high."""
    if not window:
        return {}
    counted = Counter(t for text in window for t in set(terms(text)))
    floor = max(3, min_share * len(window))
    out: Vector = {}
    for term, n in counted.items():
        if n < floor:
            continue
        share = n / len(window)
        usual = (background.df.get(term, 0) + 0.5) / (background.docs + 1)
        ratio = share / usual
        if ratio >= min_ratio:
            out[term] = math.log(ratio) * share
    return normalized(out)


def alike(texts: Sequence[str], signature: Vector, idf: Idf, threshold: float) -> list[int]:
    """Indexes of the texts whose cosine with `signature` is at least `threshold`."""
    if not signature:
        return []
    return [i for i, text in enumerate(texts) if cosine(vector(text, idf), signature) >= threshold]
