"""Tie-aware retrieval figures, held to ir_measures: equal to it on rankings without ties, and equal to its average
over every order of the ties on rankings with them."""

import itertools

import ir_measures
import numpy as np
import pytest

from trainables.evaluation.tied_rankings import TIE_TOLERANCE, tie_aware_scores

CUTOFFS = {"accuracy@k": [1, 3], "precision@k": [3], "recall@k": [3], "mrr@k": [10], "ndcg@k": [3, 10], "map@k": [10]}
# ir_measures' name of each (family, cutoff); AP@10 is sentence-transformers' map@10 wherever a query has ≤ 10 relevant passages.
MEASURES = {("accuracy@k", 1): "Success@1", ("accuracy@k", 3): "Success@3", ("precision@k", 3): "P@3", ("recall@k", 3): "R@3",
            ("mrr@k", 10): "RR@10", ("ndcg@k", 3): "nDCG@3", ("ndcg@k", 10): "nDCG@10", ("map@k", 10): "AP@10"}


def ir_measures_figures(order: list[int], relevant: list[int]) -> dict[tuple[str, int], float]:
    """ir_measures' figures of the ranking `order` (passage indices, best first)."""
    run = {"q": {str(passage): float(len(order) - place) for place, passage in enumerate(order)}}
    qrels = {"q": {str(passage): 1 for passage in relevant}}
    by_name = {str(metric.measure): metric.value for metric in ir_measures.iter_calc([ir_measures.parse_measure(m) for m in MEASURES.values()], qrels, run)}
    return {key: by_name[str(ir_measures.parse_measure(name))] for key, name in MEASURES.items()}


def ours(scores: list[float], relevant: list[int]) -> dict[tuple[str, int], float]:
    figures = tie_aware_scores(np.array([scores]), [relevant], CUTOFFS)
    return {(family, k): values[0] for family, by_cutoff in figures.items() for k, values in by_cutoff.items()}


def test_without_ties_the_figures_are_ir_measures_own():
    rng = np.random.default_rng(0)
    for _ in range(20):
        scores = rng.random(30)
        relevant = sorted(rng.choice(30, size=int(rng.integers(1, 5)), replace=False).tolist())
        order = np.argsort(-scores).tolist()
        assert ours(scores.tolist(), relevant) == pytest.approx(ir_measures_figures(order, relevant), abs=1e-9)


@pytest.mark.parametrize("scores, relevant", [
    ([0.9, 0.5, 0.5, 0.5, 0.5, 0.2, 0.2, 0.1], [2, 6]),          # a relevant passage in a run of four ties, another in a pair
    ([0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.3], [0, 3, 5]),            # three relevant among six tied at the top
    ([0.4] * 6, [5]),                                            # a collapsed model: every passage one score
    ([0.8, 0.6, 0.6, 0.6, 0.6, 0.6, 0.2, 0.2, 0.2], [7]),        # the relevant passage tied past the first cutoff
])
def test_with_ties_each_figure_is_the_average_over_every_order_of_the_ties(scores, relevant):
    runs = [list(group) for _, group in itertools.groupby(sorted(range(len(scores)), key=lambda i: -scores[i]), key=lambda i: scores[i])]
    orders = [list(itertools.chain(*chosen)) for chosen in itertools.product(*(itertools.permutations(run) for run in runs))]
    every = [ir_measures_figures(order, relevant) for order in orders]
    expected = {key: float(np.mean([figures[key] for figures in every])) for key in MEASURES}
    assert ours(scores, relevant) == pytest.approx(expected, abs=1e-9)
    # The id order is one of those orders, and not their average: counting ties as ties changes the figure.
    assert ir_measures_figures(sorted(range(len(scores)), key=lambda i: (-scores[i], i)), relevant) != pytest.approx(expected)


def test_a_collapsed_models_figures_are_those_of_a_random_ranking():
    """One relevant passage among 80 that all score alike: found in the top 10 one time in 8, whatever its id."""
    for relevant in ([0], [79]):
        figures = ours([0.5] * 80, relevant)
        assert figures[("accuracy@k", 3)] == pytest.approx(3 / 80)
        assert figures[("mrr@k", 10)] == pytest.approx(sum(1 / rank for rank in range(1, 11)) / 80)
        assert figures[("ndcg@k", 10)] == pytest.approx(sum(1 / np.log2(rank + 1) for rank in range(1, 11)) / 80)


def test_scores_apart_by_less_than_a_float32_cosines_resolution_are_a_tie():
    noisy = [0.5 + TIE_TOLERANCE / 10 * i for i in range(20)]  # a collapsed model's last digits, in the ids' order
    assert ours(noisy, [19]) == pytest.approx(ours([0.5] * 20, [19]))
    assert ours([0.5 + 2 * TIE_TOLERANCE * i for i in range(20)], [19])[("accuracy@k", 1)] == 1.0
