"""Exact and near duplicates between two collections of texts.

Exact: equal after Unicode NFKC, case folding and collapsing whitespace. Near: the cosine of the two normalised
texts' sets of character 4-grams (scikit-learn's HashingVectorizer, binary, L2-normalised) is at least the threshold.
Chosen over MinHash LSH (datasketch) because the similarity is exact rather than estimated, scikit-learn is already a
dependency, and vectorising is C-speed where MinHash's per-shingle update is a Python loop; chosen over the base
model's embeddings because those cost a forward pass per text, minutes for 100,000 rows on a CPU. Only the held-out
side is compared with the training side, so the cost is linear in the training rows.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache

import numpy as np

# Texts shorter than this (normalised) are compared exactly only: a few 4-grams say nothing about near-ness.
MIN_NEAR_CHARS = 24
# Near-ness is judged on a text's first characters: enough to tell an edited copy, bounded for long documents.
MAX_NEAR_CHARS = 500
CHUNK = 64  # held-out texts per sparse product: bounds its memory for a large training side
# Above this many texts the 4-grams are hashed in one process per core: scikit-learn's analyzer is Python.
PARALLEL_FROM = 20_000


def normalized(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


@cache
def _vectorizer():
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(analyzer="char", ngram_range=(4, 4), n_features=2**20, alternate_sign=False, binary=True,
                             norm="l2", lowercase=False, dtype=np.float32)


def _hashed(texts: list[str]):
    if len(texts) < PARALLEL_FROM:
        return _vectorizer().transform(texts)
    import os

    import scipy.sparse
    from joblib import Parallel, delayed

    workers = max(1, min(os.cpu_count() or 1, 8))
    size = -(-len(texts) // workers)
    parts = Parallel(n_jobs=workers)(delayed(_vectorizer().transform)(texts[start:start + size]) for start in range(0, len(texts), size))
    return scipy.sparse.vstack(parts, format="csr")


@dataclass(frozen=True)
class Match:
    index: int  # in the probing collection
    indexed: int  # in the index's collection
    similarity: float  # 1.0 for an exact duplicate
    exact: bool


class NearDuplicateIndex:
    """A collection of texts, each kept once by its normalised form, ready to be probed."""

    def __init__(self, texts: list[str], threshold: float):
        self.threshold = threshold
        self.keys = [normalized(text) for text in texts]
        self.by_key: dict[str, list[int]] = {}
        for index, key in enumerate(self.keys):
            self.by_key.setdefault(key, []).append(index)
        self.unique = list(self.by_key)
        self._vectors = self._columns = None

    @property
    def vectors(self):
        """One row per unique normalised text (zero for the short ones, which match exactly only)."""
        if self._vectors is None:
            self._vectors = _hashed([key[:MAX_NEAR_CHARS] if len(key) >= MIN_NEAR_CHARS else "" for key in self.unique])
        return self._vectors

    @property
    def columns(self):
        """The vectors transposed, in the row-major form a sparse product wants (converted once, not per product)."""
        if self._columns is None:
            self._columns = self.vectors.T.tocsr()
        return self._columns

    def duplicates_within(self) -> int:
        """Texts that repeat an earlier one of the same collection exactly."""
        return len(self.keys) - len(self.unique)

    def probe(self, other: NearDuplicateIndex) -> list[Match]:
        """Every (text of `other`, text here) pair that is an exact or near duplicate, by the index of each text."""
        pairs: dict[tuple[int, int], tuple[float, bool]] = {}
        for key in other.unique:
            if key in self.by_key:
                pairs[(other.by_key[key][0], self.by_key[key][0])] = (1.0, True)
        columns, others = self.columns, other.vectors
        for start in range(0, others.shape[0], CHUNK):
            similarity = (others[start:start + CHUNK] @ columns).tocoo()
            hits = similarity.data >= self.threshold
            for row, column, value in zip(similarity.row[hits], similarity.col[hits], similarity.data[hits]):
                first_other, first_here = other.by_key[other.unique[start + row]][0], self.by_key[self.unique[column]][0]
                pairs.setdefault((first_other, first_here), (min(float(value), 1.0), False))
        matches = []
        for (first_other, first_here), (value, exact) in pairs.items():
            for index in other.by_key[other.keys[first_other]]:
                matches.extend(Match(index, indexed, value, exact) for indexed in self.by_key[self.keys[first_here]])
        return matches
