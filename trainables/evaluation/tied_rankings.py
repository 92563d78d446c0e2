"""Retrieval figures that count tied scores as ties.

An evaluator that sorts tied passages by their ids (sentence-transformers' does; trec_eval sorts by docno) scores a
model on an order the model never gave: a collapsed model, whose passages all score alike, gets the figures of its
corpus ids' order, and can beat its untrained baseline on them. Here a run of tied passages stands for every order of
itself at once: each figure is its expected value over the orders of the ties (McSherry & Najork, "Computing
information retrieval performance measures efficiently in the presence of tied scores", ECIR 2008). Without ties
it is the evaluator's own figure, by the evaluator's own definitions (`InformationRetrievalEvaluator.compute_metrics`:
AP@k over min(k, relevant), precision@k over k). Neither trec_eval nor ir_measures has such a mode, so it is
computed here; the tests hold it to ir_measures averaged over every order of the ties.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Scores closer than this are one score: a float32 cosine carries about 7 digits, so two passages a collapsed model
# embeds to "the same" vector still differ in the last ones, in an order that is noise.
TIE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class TiedRanking:
    """One query's passages in score order as runs of tied scores, down to the run that holds rank `depth`: each run's
    first rank (0-based), size and relevant count, as arrays."""

    starts: np.ndarray
    sizes: np.ndarray
    relevant: np.ndarray

    @classmethod
    def of(cls, scores: np.ndarray, relevant: np.ndarray, depth: int) -> TiedRanking:
        order = np.argsort(-scores, kind="stable")
        ranked, hits = scores[order], relevant[order].astype(np.int64)
        starts = np.flatnonzero(np.r_[True, (ranked[:-1] - ranked[1:]) > TIE_TOLERANCE])
        sizes = np.diff(np.r_[starts, len(ranked)])
        counts = np.add.reduceat(hits, starts)
        kept = starts < depth
        return cls(starts[kept], sizes[kept], counts[kept])


def expected_figures(ranking: TiedRanking, total_relevant: int, cutoffs: list[int]) -> dict[int, dict[str, float]]:
    """Each family's expected value at each cutoff, over every order of each run of ties: {cutoff: {family: value}}."""
    starts, sizes, counts = ranking.starts, ranking.sizes, ranking.relevant
    group = np.repeat(np.arange(len(starts)), sizes)  # the run each rank belongs to, down to the last kept run's end
    ranks = np.arange(1, len(group) + 1, dtype=float)  # 1-based
    share = (counts / sizes)[group]  # each place of a run holds a relevant passage with this chance
    places = ranks - starts[group]  # 1-based place within its run
    ahead = (np.cumsum(counts) - counts)[group]  # relevant passages in the runs ranked above
    # A relevant passage at its run's j-th place has, on average, (relevant - 1)(j - 1)/(size - 1) of the run's other
    # relevant passages ahead of it.
    in_run = (counts[group] - 1) * (places - 1) / np.maximum(sizes[group] - 1, 1)
    found, gain, precision_sum = (np.cumsum(share), np.cumsum(share / np.log2(ranks + 1)),
                                  np.cumsum(share * (ahead + 1 + in_run) / ranks))
    figures = {}
    for cutoff in cutoffs:
        last = min(cutoff, len(ranks)) - 1
        ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(total_relevant, cutoff) + 1))
        figures[cutoff] = {
            "accuracy@k": 1.0 - _chance_of_no_hit(ranking, cutoff),
            "precision@k": float(found[last]) / cutoff,
            "recall@k": float(found[last]) / total_relevant,
            "mrr@k": _expected_reciprocal_rank(ranking, cutoff),
            "ndcg@k": float(gain[last]) / ideal,
            "map@k": float(precision_sum[last]) / min(cutoff, total_relevant),
        }
    return figures


def _chance_of_no_hit(ranking: TiedRanking, cutoff: int) -> float:
    """No relevant passage in the top `cutoff`: a run with relevant passages holds `inside` places within the cutoff,
    and none of them is relevant with chance C(size - relevant, inside) / C(size, inside)."""
    chance = 1.0
    for start, size, relevant in zip(ranking.starts.tolist(), ranking.sizes.tolist(), ranking.relevant.tolist()):
        inside = min(start + size, cutoff) - start
        if inside <= 0:
            break
        if relevant:
            chance *= math.comb(size - relevant, inside) / math.comb(size, inside)
    return chance


def _expected_reciprocal_rank(ranking: TiedRanking, cutoff: int) -> float:
    """1/rank of the first relevant passage, which lies in the first run that holds one."""
    with_relevant = np.flatnonzero(ranking.relevant)
    if not len(with_relevant):
        return 0.0
    run = int(with_relevant[0])
    start, size, relevant = int(ranking.starts[run]), int(ranking.sizes[run]), int(ranking.relevant[run])
    expected, none_yet = 0.0, 1.0
    for place in range(1, min(size, cutoff - start) + 1):
        left = size - place + 1  # passages not yet placed
        expected += none_yet * relevant / left / (start + place)
        none_yet *= (left - relevant) / left
    return expected


def tie_aware_scores(scores: np.ndarray, relevant: list[list[int]], cutoffs: dict[str, list[int]],
                     relevant_counts: list[int] | None = None) -> dict[str, dict[int, list[float]]]:
    """Per query (a row of `scores`, queries x passages; `relevant[i]` the columns relevant to row i, of
    `relevant_counts[i]` relevant passages in all, as the evaluator counts them), each family's figure at each of its
    cutoffs: {family: {cutoff: [one value per query]}}."""
    every_cutoff = sorted({k for ks in cutoffs.values() for k in ks})
    figures: dict[str, dict[int, list[float]]] = {family: {k: [] for k in ks} for family, ks in cutoffs.items()}
    counts = relevant_counts or [len(columns) for columns in relevant]
    for row, columns, count in zip(scores, relevant, counts):
        is_relevant = np.zeros(len(row), dtype=bool)
        is_relevant[columns] = True
        by_cutoff = expected_figures(TiedRanking.of(row, is_relevant, every_cutoff[-1]), count, every_cutoff)
        for family, ks in cutoffs.items():
            for k in ks:
                figures[family][k].append(by_cutoff[k][family])
    return figures
