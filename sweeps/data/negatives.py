"""Lexical hard negatives for the triplet evaluator when the data brings none.

Random negatives make triplet accuracy ~1.0 for any model; the non-relevant passage that shares
the most words with the query is a model-independent, deterministic and much harder choice.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict

_WORD = re.compile(r"\w{3,}", re.UNICODE)


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


class LexicalNegativeMiner:
    def __init__(self, corpus: dict[str, str]):
        self._doc_ids = sorted(corpus)
        self._postings: dict[str, list[int]] = defaultdict(list)
        for index, doc_id in enumerate(self._doc_ids):
            for word in _words(corpus[doc_id]):
                self._postings[word].append(index)
        total = len(self._doc_ids)
        self._idf = {word: math.log(1 + total / len(docs)) for word, docs in self._postings.items()}

    def hardest(self, query: str, exclude: set[str]) -> str | None:
        scores: Counter[int] = Counter()
        for word in sorted(_words(query)):  # a fixed order: float sums, and so ties, must not follow the hash seed
            for index in self._postings.get(word, ()):
                scores[index] += self._idf[word]
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        for index, _score in ranked:
            if self._doc_ids[index] not in exclude:
                return self._doc_ids[index]
        return next((doc_id for doc_id in self._doc_ids if doc_id not in exclude), None)
