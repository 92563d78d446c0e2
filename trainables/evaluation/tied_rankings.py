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
# sentence-transformers' names of the figures an InformationRetrievalEvaluator computes, each at its cutoffs.
FAMILIES = ("accuracy@k", "precision@k", "recall@k", "mrr@k", "ndcg@k", "map@k")


@dataclass(frozen=True)
class TiedGroup:
    """Passages with one score: `ahead` passages rank above them, `size` share the score, `relevant` of them count."""

    ahead: int
    size: int
    relevant: int


def tied_groups(scores: np.ndarray, relevant: np.ndarray, depth: int) -> list[TiedGroup]:
    """A query's passages in score order, as runs of tied scores, down to the run that holds rank `depth`."""
    order = np.argsort(-scores, kind="stable")
    ranked, hits = scores[order], relevant[order]
    starts = np.flatnonzero(np.r_[True, (ranked[:-1] - ranked[1:]) > TIE_TOLERANCE])
    ends = np.r_[starts[1:], len(ranked)]
    groups = []
    for start, end in zip(starts.tolist(), ends.tolist()):
        if start >= depth:
            break
        groups.append(TiedGroup(start, end - start, int(hits[start:end].sum())))
    return groups


def expected_figures(groups: list[TiedGroup], total_relevant: int, cutoff: int) -> dict[str, float]:
    """Each family's expected value at `cutoff`, over every order of each run of ties."""
    in_top = dcg = average_precision = reciprocal_rank = 0.0
    no_hit = 1.0  # the chance that no relevant passage is in the top `cutoff`
    relevant_ahead, first_relevant_seen = 0, False
    for group in groups:
        inside = min(group.ahead + group.size, cutoff) - group.ahead  # the run's places within the cutoff
        if inside <= 0:
            break
        if group.relevant:
            ranks = np.arange(group.ahead + 1, group.ahead + inside + 1, dtype=float)
            share = group.relevant / group.size  # each place of the run holds a relevant passage with this chance
            in_top += share * inside
            dcg += share * float(np.sum(1.0 / np.log2(ranks + 1)))
            # A relevant passage at the run's j-th place has, on average, (relevant - 1)(j - 1)/(size - 1) of the
            # run's other relevant passages ahead of it.
            places = ranks - group.ahead
            ahead_in_run = (group.relevant - 1) * (places - 1) / max(group.size - 1, 1)
            average_precision += share * float(np.sum((relevant_ahead + 1 + ahead_in_run) / ranks))
            no_hit *= math.comb(group.size - group.relevant, inside) / math.comb(group.size, inside)
            if not first_relevant_seen:
                reciprocal_rank = _expected_reciprocal_rank(group, inside)
                first_relevant_seen = True
        relevant_ahead += group.relevant
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(total_relevant, cutoff) + 1))
    return {
        "accuracy@k": 1.0 - no_hit,
        "precision@k": in_top / cutoff,
        "recall@k": in_top / total_relevant,
        "mrr@k": reciprocal_rank,
        "ndcg@k": dcg / ideal,
        "map@k": average_precision / min(cutoff, total_relevant),
    }


def _expected_reciprocal_rank(group: TiedGroup, inside: int) -> float:
    """1/rank of the first relevant passage, which lies in `group` (no relevant one ranks above it)."""
    expected, none_yet = 0.0, 1.0
    for place in range(1, inside + 1):
        left = group.size - place + 1  # passages not yet placed
        expected += none_yet * group.relevant / left / (group.ahead + place)
        none_yet *= (left - group.relevant) / left
    return expected


def tie_aware_scores(scores: np.ndarray, relevant: list[list[int]], cutoffs: dict[str, list[int]],
                     relevant_counts: list[int] | None = None) -> dict[str, dict[int, list[float]]]:
    """Per query (a row of `scores`, queries x passages; `relevant[i]` the columns relevant to row i, of
    `relevant_counts[i]` relevant passages in all, as the evaluator counts them), each family's figure at each of its
    cutoffs: {family: {cutoff: [one value per query]}}."""
    depth = max(max(ks) for ks in cutoffs.values())
    figures: dict[str, dict[int, list[float]]] = {family: {k: [] for k in ks} for family, ks in cutoffs.items()}
    counts = relevant_counts or [len(columns) for columns in relevant]
    for row, columns, count in zip(scores, relevant, counts):
        is_relevant = np.zeros(len(row), dtype=bool)
        is_relevant[columns] = True
        groups = tied_groups(row, is_relevant, depth)
        for cutoff in sorted({k for ks in cutoffs.values() for k in ks}):
            values = expected_figures(groups, count, cutoff)
            for family, ks in cutoffs.items():
                if cutoff in ks:
                    figures[family][cutoff].append(values[family])
    return figures
