"""Is one model better than another on the same queries, or inside the noise? A paired randomization test over their
per-query scores (scipy's permutation test, the paired form IR evaluation uses), read from each run's artifacts."""

from __future__ import annotations

import json
import os
import tempfile

from trainables import mlflow_names as names

RESAMPLES = 9999


def paired_p_value(ours: dict[str, float], theirs: dict[str, float], seed: int = 0) -> tuple[float, int]:
    """(two-sided p-value of a mean difference, number of shared queries)."""
    import numpy as np
    from scipy.stats import permutation_test

    shared = sorted(set(ours) & set(theirs))
    a, b = np.array([ours[q] for q in shared]), np.array([theirs[q] for q in shared])
    if len(shared) < 2 or np.all(a == b):
        return 1.0, len(shared)
    result = permutation_test((a, b), lambda x, y, axis: np.mean(x - y, axis=axis), permutation_type="samples", vectorized=True,
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
            return json.load(handle).get(metric_key)
