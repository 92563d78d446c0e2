"""A metric from its per-item scores: the mean for per-query and per-triplet scores, a correlation with the gold
scores for STS. Vectorized over a leading axis, as scipy's bootstrap and permutation test call them."""

from __future__ import annotations

from trainables.contract.metrics import CORRELATIONS
from trainables.contract.serving import split_variant_key


def correlation(kind: str, x, y, axis: int = -1):
    """Pearson's r of x and y along `axis`; Spearman's rho is Pearson's r of their ranks (ties averaged, as scipy ranks)."""
    import numpy as np
    from scipy.stats import rankdata

    x, y = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    if kind == "spearman":
        x, y = rankdata(x, axis=axis), rankdata(y, axis=axis)
    x = x - x.mean(axis=axis, keepdims=True)
    y = y - y.mean(axis=axis, keepdims=True)
    return (x * y).sum(axis=axis) / np.sqrt((x * x).sum(axis=axis) * (y * y).sum(axis=axis))


def is_correlation(metric_key: str) -> bool:
    """A correlation at full size or at a serving variant (`spearman_cosine-128d-int8`)."""
    return split_variant_key(metric_key)[0] in CORRELATIONS


def correlation_kind(metric_key: str) -> str:
    return CORRELATIONS[split_variant_key(metric_key)[0]]
