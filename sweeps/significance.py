"""Is one model better than another on the same queries, or inside the noise? A paired randomization test over their
per-item scores (scipy's permutation test, the paired form IR evaluation uses), read from each run's artifacts. For a
correlation (STS), each pair's two similarities are swapped and the correlations with the gold scores recomputed."""

from __future__ import annotations

import json
import os
import tempfile

from trainables.contract import mlflow_names as names
from trainables.contract.metrics import GOLD_SCORES
from trainables.evaluation.item_statistics import correlation, correlation_kind, is_correlation

RESAMPLES = 9999


def paired_p_value(ours: dict, theirs: dict, metric_key: str, seed: int = 0) -> tuple[float, int]:
    """(two-sided p-value of the metric's difference, number of shared items). Items score a float, or for a
    correlation a [similarity, gold score] pair, as `per_query_scores` returns them."""
    import numpy as np
    from scipy.stats import permutation_test

    shared = sorted(set(ours) & set(theirs))
    if is_correlation(metric_key):
        kind, gold = correlation_kind(metric_key), np.array([ours[q][1] for q in shared], dtype=float)
        a, b = np.array([ours[q][0] for q in shared]), np.array([theirs[q][0] for q in shared])

        def difference(x, y, axis):
            return correlation(kind, x, gold, axis=axis) - correlation(kind, y, gold, axis=axis)
    else:
        a, b = np.array([ours[q] for q in shared]), np.array([theirs[q] for q in shared])

        def difference(x, y, axis):
            return np.mean(x - y, axis=axis)
    if len(shared) < 3 or np.all(a == b):
        return 1.0, len(shared)
    result = permutation_test((a, b), difference, permutation_type="samples", vectorized=True,
                              n_resamples=RESAMPLES, alternative="two-sided", random_state=np.random.default_rng(seed))
    return float(result.pvalue), len(shared)


def per_query_scores(client, run_id: str, split: str, metric_key: str) -> dict[str, float] | None:
    """A run's per-query scores of `metric_key` on `split` ('eval': its kept checkpoint; 'test'), or None if it has none."""
    artifact = f"{names.PER_QUERY_ARTIFACTS}/{split}.json"
    with tempfile.TemporaryDirectory() as scratch:
        try:
            path = client.download_artifacts(run_id, artifact, scratch)
        except Exception:  # a run from before per-query scores, or one that never finished
            return None
        if not os.path.exists(path):
            return None
        with open(path, encoding="utf-8") as handle:
            items = json.load(handle)
    scores = items.get(metric_key)
    if scores is not None and is_correlation(metric_key):
        gold = items.get(GOLD_SCORES, {})
        return {item: [score, gold[item]] for item, score in scores.items() if item in gold}
    return scores
