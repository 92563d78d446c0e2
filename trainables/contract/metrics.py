"""Names of the metrics a trial reports, and how evaluator outputs map onto them.

MLflow rejects '@' in metric keys, so `ndcg@10` is logged as `ndcg_at_10`.
"""

from __future__ import annotations

import re

from trainables.contract.serving import split_variant_key

IR_EVALUATOR_NAME = "ir"
TRIPLET_EVALUATOR_NAME = "triplet"
STS_EVALUATOR_NAME = "sts"
KNN_EVALUATOR_NAME = "knn"
LABELS_EVALUATOR_NAME = "labels"  # classification: each text ranks the label names

# What a retrieval evaluation always computes; other cutoffs are computed when the sweep's metric asks for them.
DEFAULT_IR_CUTOFFS = {"ndcg": (10,), "mrr": (10,), "recall": (10,), "map": (100,)}
LABEL_RANKING_CUTOFFS = {"recall": (1, 3, 5), "mrr": (10,)}
TRIPLET_KEY = "triplet_accuracy"
KNN_KEY = "knn_accuracy"
KNN_NEIGHBOURS = 5  # knn_accuracy: each eval text's label is the vote of its 5 nearest training rows (cosine)
SPEARMAN_KEY, PEARSON_KEY = "spearman_cosine", "pearson_cosine"
# Metrics over scored pairs that are no mean of per-pair scores: intervals and paired tests recompute them from each
# pair's cosine similarity against the gold scores, which the per-item artifact keeps under GOLD_SCORES.
CORRELATIONS = {SPEARMAN_KEY: "spearman", PEARSON_KEY: "pearson"}
GOLD_SCORES = "gold_score"
GUARD_PREFIX = "guard_"  # guard_<name>_<metric>, and guard_<name>_drop: the untrained baseline's value minus the trial's
DROP = "drop"
CI_LOW_SUFFIX, CI_HIGH_SUFFIX = "_ci_low", "_ci_high"  # a test metric's 95% bootstrap interval over queries
TEST_PREFIX = "test_"
# The eval metrics of the checkpoint a trial keeps (its best evaluation): what ranks and promotes it.
BEST_PREFIX = "best_"
# Where a trial's wall time went (trainables.trial_clock), logged at every evaluation and at the end; the parent run gets the sums.
TIME_PHASES = ("setup", "train", "eval", "checkpoint", "test", "logging", "serving_variants")
# Inside an evaluation, the serving variants' own share (calibration, quantizing, scoring): counted apart from "eval".
SERVING_VARIANTS = TIME_PHASES[-1]
# After the trials, the soup's own share of the sweep's time: on the soup's run and summed onto the parent
SOUP_TIME_PHASES = ("soup_averaging", "soup_evaluating")
PEAK_RSS_KEY, PEAK_GPU_MEMORY_KEY = "peak_rss_mb", "peak_gpu_mem_mb"
THROUGHPUT_KEY = "train_samples_per_second"  # HF Trainer's, over its whole train() call


# Each evaluation's figures in MLflow (Tune hears them bare): the run page draws a section per prefix, the prefixed
# ones first, so the learning curves lead and the single-point best_/test_/time_ figures come after them.
CURVE_PREFIX = "curves/"


def curve_key(key: str) -> str:
    return CURVE_PREFIX + key


def as_curves(metrics: dict[str, float]) -> dict[str, float]:
    return {curve_key(key): value for key, value in metrics.items()}


def without_curve_prefix(metrics: dict[str, float]) -> dict[str, float]:
    """MLflow's keys of a run as Tune hears them: the last evaluation's figures under their bare names."""
    return {key.removeprefix(CURVE_PREFIX): value for key, value in metrics.items()}


def time_key(phase: str) -> str:
    return f"time_{phase}_s"


def soup_comparison_key(split: str, figure: str) -> str:
    """`soup_vs_best_trial_eval_p`, `…_test_delta`: the soup's paired test against the best trial, on the soup's run."""
    return f"soup_vs_best_trial_{split}_{figure}"


_IR_KEY = re.compile(r"^(ndcg|mrr|recall|map)_at_([1-9][0-9]{0,2})$")
_IR_OUTPUT = re.compile(rf"^(?:{IR_EVALUATOR_NAME}|{LABELS_EVALUATOR_NAME})_cosine_(ndcg|mrr|recall|map)@([0-9]+)$")
_NAMED_OUTPUTS = {
    f"{TRIPLET_EVALUATOR_NAME}_cosine_accuracy": TRIPLET_KEY,
    f"{KNN_EVALUATOR_NAME}_accuracy": KNN_KEY,
    f"{STS_EVALUATOR_NAME}_spearman_cosine": SPEARMAN_KEY,
    f"{STS_EVALUATOR_NAME}_pearson_cosine": PEARSON_KEY,
}


def ranking_key(metric_key: str) -> str:
    return BEST_PREFIX + metric_key


def metric_key(name: str) -> str:
    """The MLflow key of a metric name as a sweep file writes it (`ndcg@10` -> `ndcg_at_10`)."""
    return name.replace("@", "_at_")


def guard_key(guard_name: str, metric: str) -> str:
    return f"{GUARD_PREFIX}{guard_name}_{metric}"


def ir_metric(key: str) -> tuple[str, int] | None:
    """(family, cutoff) of an IR metric key (`ndcg_at_5` -> ('ndcg', 5)), or None."""
    found = _IR_KEY.match(key)
    return (found.group(1), int(found.group(2))) if found else None


def ir_cutoffs(keys) -> dict[str, tuple[int, ...]]:
    """The cutoffs a retrieval evaluator computes: the defaults, and those of the IR metrics among `keys`."""
    cutoffs = {family: set(ks) for family, ks in DEFAULT_IR_CUTOFFS.items()}
    for key in keys:
        parsed = ir_metric(key)
        if parsed:
            cutoffs[parsed[0]].add(parsed[1])
    return {family: tuple(sorted(ks)) for family, ks in cutoffs.items()}


def rename_evaluator_metrics(raw: dict[str, float], prefix: str = "") -> dict[str, float]:
    """Pick our metrics out of an evaluator's dict, whether or not the trainer prefixed `eval_`."""
    renamed = {}
    for theirs, value in raw.items():
        bare = theirs.removeprefix("eval_")
        if bare.startswith(GUARD_PREFIX):  # a guard evaluator's output, already named
            renamed[prefix + bare] = float(value)
            continue
        base, variant = split_variant_key(bare)
        if variant is not None and (_IR_KEY.match(base) or base in _NAMED_OUTPUTS.values()):  # a serving variant, named by us
            renamed[prefix + bare] = float(value)
            continue
        ir_output = _IR_OUTPUT.match(bare)
        ours = f"{ir_output.group(1)}_at_{ir_output.group(2)}" if ir_output else _NAMED_OUTPUTS.get(bare)
        if ours is not None:
            renamed[prefix + ours] = float(value)
    return renamed
