"""An evaluation that keeps each query's score: for confidence intervals on test metrics and for paired tests
between two models on the same queries.

The means are sentence-transformers' evaluators' own. Per-query IR scores come from ir_measures over the very
rankings the InformationRetrievalEvaluator scored (it writes them); per-triplet outcomes from the library's own
cosine similarity. Intervals are scipy's bootstrap over queries (over triplets for triplet accuracy).
"""

from __future__ import annotations

import json
import os
import tempfile

from trainables.evaluation import NO_PROMPTS, build_evaluator
from trainables.metrics import CI_HIGH_SUFFIX, CI_LOW_SUFFIX, IR_MEASURES, TEST_PREFIX, TRIPLET_KEY, rename_evaluator_metrics
from trainables.mlflow_names import PER_QUERY_ARTIFACTS
from trainables.prompts import Prompts

CONFIDENCE = 0.95
RESAMPLES = 2000


def evaluate_in_detail(model, evaluation_set: dict, prompts: Prompts = NO_PROMPTS, batch_size: int = 64) -> tuple[dict, dict]:
    """(our metrics, each metric's score per query or triplet: {metric: {item id: score}})."""
    evaluator = build_evaluator(evaluation_set, batch_size=batch_size, prompts=prompts, write_predictions=True)
    with tempfile.TemporaryDirectory() as scratch:
        metrics = rename_evaluator_metrics(evaluator(model, output_path=scratch))
        predictions = next(os.path.join(scratch, name) for name in sorted(os.listdir(scratch)) if name.endswith("_predictions_cosine.jsonl"))
        per_item = per_query_ir_scores(predictions, evaluation_set["relevant"])
    per_item[TRIPLET_KEY] = per_triplet_outcomes(model, evaluation_set["triplets"], prompts, batch_size)
    return metrics, per_item


def per_query_ir_scores(predictions_file: str, relevant: dict[str, list[str]]) -> dict[str, dict[str, float]]:
    import ir_measures

    run = {}
    with open(predictions_file, encoding="utf-8") as handle:
        for line in handle:
            prediction = json.loads(line)
            # The evaluator's own order (score, then id): ranks as scores, so ties break as they did there.
            run[prediction["query_id"]] = {hit["corpus_id"]: -float(rank) for rank, hit in enumerate(prediction["results"])}
    qrels = {query_id: {doc_id: 1 for doc_id in docs} for query_id, docs in relevant.items()}
    ours = {ir_measures.parse_measure(name): key for key, name in IR_MEASURES.items()}
    scores: dict[str, dict[str, float]] = {key: {} for key in IR_MEASURES}
    for metric in ir_measures.iter_calc(list(ours), qrels, run):
        scores[ours[metric.measure]][metric.query_id] = float(metric.value)
    return scores


def per_triplet_outcomes(model, triplets: dict[str, list[str]], prompts: Prompts, batch_size: int) -> dict[str, float]:
    """1.0 where the anchor is closer to its positive than to its negative, as TripletEvaluator counts it."""
    from sentence_transformers.util import pairwise_cos_sim

    def encode(texts, prompt):
        return model.encode(texts, prompt=prompt, batch_size=batch_size, convert_to_tensor=True, show_progress_bar=False)

    anchors = encode(triplets["anchor"], prompts.query)
    closer = pairwise_cos_sim(anchors, encode(triplets["positive"], prompts.document)) > pairwise_cos_sim(
        anchors, encode(triplets["negative"], prompts.document))
    return {str(index): float(outcome) for index, outcome in enumerate(closer.tolist())}


def confidence_intervals(per_item: dict[str, dict[str, float]], seed: int = 0) -> dict[str, float]:
    """`<metric>_ci_low` / `_ci_high`: the 95% percentile bootstrap interval of each metric's mean over its items."""
    import numpy as np
    from scipy.stats import bootstrap

    intervals = {}
    for key, scores in per_item.items():
        values = np.array(list(scores.values()), dtype=float)
        if len(values) < 2:
            continue
        if np.all(values == values[0]):  # nothing to resample: the interval is the value
            low = high = float(values[0])
        else:
            result = bootstrap((values,), np.mean, confidence_level=CONFIDENCE, n_resamples=RESAMPLES, method="percentile",
                               random_state=np.random.default_rng(seed))
            low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
        intervals[key + CI_LOW_SUFFIX], intervals[key + CI_HIGH_SUFFIX] = low, high
    return intervals


def judge(run, model, eval_set: dict, test_set: dict, prompts: Prompts = NO_PROMPTS) -> tuple[dict, dict]:
    """The model a run stands for (a trial's kept checkpoint, an untrained baseline), judged once on both splits:
    its per-query scores are logged as artifacts, for paired comparisons by the leaderboard and promotion.
    Returns (eval metrics, test metrics with their 95% intervals, `test_`-prefixed)."""
    eval_metrics, eval_items = evaluate_in_detail(model, eval_set, prompts)
    test_metrics, test_items = evaluate_in_detail(model, test_set, prompts)
    run.log_dict(eval_items, f"{PER_QUERY_ARTIFACTS}/eval.json")
    run.log_dict(test_items, f"{PER_QUERY_ARTIFACTS}/test.json")
    return eval_metrics, {TEST_PREFIX + key: value for key, value in {**test_metrics, **confidence_intervals(test_items)}.items()}
