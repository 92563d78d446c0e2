"""Deterministic, leak-free splits: every query of one group lands in the same split."""

from __future__ import annotations

import random

from sweeps.data.retrieval_set import RetrievalSet


def carve_missing_splits(data: RetrievalSet, eval_fraction: float, test_fraction: float, seed: int) -> None:
    """Move whole groups of train queries into the eval and test splits the source did not provide."""
    train = data.qrels.get("train", {})
    fractions = {split: fraction for split, fraction in (("test", test_fraction), ("eval", eval_fraction)) if split not in data.qrels}
    if not fractions:
        return
    groups = sorted({data.split_groups.get(query_id, query_id) for query_id in train})
    random.Random(seed).shuffle(groups)
    taken: dict[str, set[str]] = {}
    start = 0
    for split, fraction in fractions.items():  # test first: it must not depend on eval_fraction
        count = max(1, round(fraction * len(groups))) if len(groups) > 2 else 0
        taken[split] = set(groups[start:start + count])
        start += count
    for split in fractions:
        data.qrels[split] = {}
    for query_id in list(train):
        group = data.split_groups.get(query_id, query_id)
        for split, members in taken.items():
            if group in members:
                data.qrels[split][query_id] = train.pop(query_id)
                break
