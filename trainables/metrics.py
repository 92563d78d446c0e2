"""Names of the metrics a trial reports, and how evaluator outputs map onto them.

MLflow rejects '@' in metric keys, so `ndcg@10` is logged as `ndcg_at_10`.
"""

from __future__ import annotations

IR_EVALUATOR_NAME = "ir"
TRIPLET_EVALUATOR_NAME = "triplet"

# key we log -> key sentence-transformers' evaluators return (cosine similarity)
EVALUATOR_KEYS = {
    "ndcg_at_10": f"{IR_EVALUATOR_NAME}_cosine_ndcg@10",
    "mrr_at_10": f"{IR_EVALUATOR_NAME}_cosine_mrr@10",
    "recall_at_10": f"{IR_EVALUATOR_NAME}_cosine_recall@10",
    "map_at_100": f"{IR_EVALUATOR_NAME}_cosine_map@100",
    "triplet_accuracy": f"{TRIPLET_EVALUATOR_NAME}_cosine_accuracy",
}
METRIC_ALIASES = {
    **{key: key for key in EVALUATOR_KEYS},
    **{key.replace("_at_", "@"): key for key in EVALUATOR_KEYS if "_at_" in key},
}
# our IR keys -> ir_measures' names, for per-query scores of the very rankings the evaluator scored
IR_MEASURES = {"ndcg_at_10": "nDCG@10", "mrr_at_10": "RR@10", "recall_at_10": "R@10", "map_at_100": "AP@100"}
TRIPLET_KEY = "triplet_accuracy"
CI_LOW_SUFFIX, CI_HIGH_SUFFIX = "_ci_low", "_ci_high"  # a test metric's 95% bootstrap interval over queries
TEST_PREFIX = "test_"
# The eval metrics of the checkpoint a trial keeps (its best evaluation): what ranks and promotes it.
BEST_PREFIX = "best_"


def ranking_key(metric_key: str) -> str:
    return BEST_PREFIX + metric_key


def metric_key(name: str) -> str | None:
    return METRIC_ALIASES.get(name)


def rename_evaluator_metrics(raw: dict[str, float], prefix: str = "") -> dict[str, float]:
    """Pick our metrics out of an evaluator's dict, whether or not the trainer prefixed `eval_`."""
    renamed = {}
    for ours, theirs in EVALUATOR_KEYS.items():
        for candidate in (theirs, f"eval_{theirs}"):
            if candidate in raw:
                renamed[prefix + ours] = float(raw[candidate])
                break
    return renamed
