"""False negatives in in-batch-negative batches (MultipleNegativesRankingLoss and its kin): a batch in which another
row's passage is a near duplicate of a row's positive teaches the model to push apart two texts that say the same."""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from sweeps.data_check.near_duplicate_index import NearDuplicateIndex


@dataclass(frozen=True)
class FalseNegativeShare:
    batch_size: int
    batches: int
    with_false_negative: int

    @property
    def share(self) -> float:
        return self.with_false_negative / self.batches if self.batches else 0.0

    def record(self) -> dict:
        return {"batch_size": self.batch_size, "batches": self.batches, "with_false_negative": self.with_false_negative,
                "share": round(self.share, 4)}


def false_negative_share(passages: NearDuplicateIndex, positive_of_row: list[int], candidates_of_row: list[list[int]],
                         batch_size: int, seed: int) -> FalseNegativeShare:
    """Rows shuffled into batches as a trainer's random sampler does; `positive_of_row[r]` and `candidates_of_row[r]`
    index `passages` (a row's candidates: its positive and negatives). Exact duplicates don't count: the no-duplicates
    batch sampler these losses train with never puts them in one batch."""
    rows = list(range(len(positive_of_row)))
    random.Random(seed).shuffle(rows)
    unique_of = {index: position for position, key in enumerate(passages.unique) for index in passages.by_key[key]}
    vectors = passages.vectors
    batches = with_false_negative = 0
    for start in range(0, len(rows) - batch_size + 1, batch_size):  # full batches: a short last one would flatter the share
        batch = rows[start:start + batch_size]
        positives = [unique_of[positive_of_row[row]] for row in batch]
        owners, candidates = zip(*[(owner, unique_of[index]) for owner, row in enumerate(batch) for index in candidates_of_row[row]])
        similarity = (vectors[positives] @ vectors[list(candidates)].T).toarray()
        owners, candidates = np.array(owners), np.array(candidates)
        other_row = owners[None, :] != np.arange(len(batch))[:, None]
        different_text = candidates[None, :] != np.array(positives)[:, None]
        batches += 1
        with_false_negative += bool(((similarity >= passages.threshold) & other_row & different_text).any())
    return FalseNegativeShare(batch_size, batches, with_false_negative)
