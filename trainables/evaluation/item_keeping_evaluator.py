"""An evaluation that keeps each item's score: for confidence intervals on test metrics and for paired tests
between two models on the same items.

The means are sentence-transformers' evaluators' own, but for retrieval's, which count tied scores as ties
(trainables.evaluation.tied_rankings) and come with each query's figure; per-triplet outcomes from the library's own
cosine similarity; per-text kNN outcomes from the kNN evaluator; STS keeps each pair's cosine similarity and gold
score, since a correlation is no mean. Intervals are scipy's bootstrap over items (paired for correlations).
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
from sentence_transformers.sentence_transformer.evaluation import SentenceEvaluator

from trainables.contract.evaluation_sets import EvaluationSet, QueryCorpusSet, ScoredPairSet
from trainables.evaluation.evaluators import NO_PROMPTS, build_evaluator
from trainables.evaluation.item_statistics import correlation, correlation_kind, is_correlation
from trainables.contract.metrics import (
    CI_HIGH_SUFFIX,
    CI_LOW_SUFFIX,
    GOLD_SCORES,
    KNN_KEY,
    PEARSON_KEY,
    SERVING_VARIANTS,
    SPEARMAN_KEY,
    STS_EVALUATOR_NAME,
    TEST_PREFIX,
    TRIPLET_KEY,
    rename_evaluator_metrics,
)
from trainables.contract.mlflow_names import PER_QUERY_ARTIFACTS
from trainables.prompts import Prompts

CONFIDENCE = 0.95
RESAMPLES = 2000


def evaluate_in_detail(model, evaluation_set: EvaluationSet, prompts: Prompts = NO_PROMPTS, batch_size: int = 64) -> tuple[dict, dict]:
    """(our metrics, each metric's score per query, triplet, text or pair: {metric: {item id: score}})."""
    keeper = ItemKeepingEvaluator(evaluation_set, prompts, batch_size)
    return rename_evaluator_metrics(keeper(model)), keeper.last_items


class ItemKeepingEvaluator(SentenceEvaluator):
    """The task's evaluators, keeping each item's score of the latest call. As a trial's in-training evaluator it
    spares a second evaluation of the eval split at the end: its kept checkpoint's items are those of the
    evaluation that kept it. Returns the evaluators' own metric names, as the trainer expects of an evaluator, and
    each serving variant's figures under our keys (`ndcg_at_10-128d-int8`), scored from the same encoding;
    `section(SERVING_VARIANTS)` times them (a trial's clock)."""

    def __init__(self, evaluation_set: EvaluationSet, prompts: Prompts = NO_PROMPTS, batch_size: int = 64, section=None):
        super().__init__()
        self.evaluation_set, self.prompts, self.batch_size = evaluation_set, prompts, batch_size
        self.inner = None if evaluation_set.task == "sts" else build_evaluator(evaluation_set, batch_size=batch_size, prompts=prompts)
        self.last_items: dict[str, dict[str, float]] = {}
        self.section = section or _untimed
        self.scorer = None
        if evaluation_set.serving is not None:
            from trainables.evaluation.serving_variant_scorer import ServingVariantScorer

            document_prompt = prompts.document if evaluation_set.task == QueryCorpusSet.task else prompts.query
            self.scorer = ServingVariantScorer(evaluation_set.serving, prompts.query, document_prompt, batch_size)

    def __call__(self, model, output_path: str | None = None, epoch: int = -1, steps: int = -1) -> dict[str, float]:
        if self.inner is None:
            metrics, self.last_items, pairs = _sts_in_detail(model, self.evaluation_set, self.prompts, self.batch_size)
            raw = {f"{STS_EVALUATOR_NAME}_{key}": value for key, value in metrics.items()}
            if self.scorer is not None:
                with self.section(SERVING_VARIANTS):
                    self.scorer.calibrate(model)
                    variant_metrics, variant_items = _sts_variants(self.scorer, self.evaluation_set, *pairs)
                raw.update(variant_metrics)
                self.last_items.update(variant_items)
            return raw
        from trainables.evaluation.knn_accuracy_evaluator import KnnAccuracyEvaluator
        from trainables.evaluation.shared_encodings import SharedRetrievalEvaluator, SharedTripletEvaluator

        raw = self.inner(model, output_path=None, epoch=epoch, steps=steps)
        per_item: dict[str, dict[str, float]] = {}
        # Each evaluator keeps each item's figure from the call above: nothing is encoded, ranked or voted twice.
        for evaluator in self.inner.evaluators:
            if isinstance(evaluator, SharedRetrievalEvaluator):
                per_item.update(_per_query_figures(evaluator.name, evaluator.last_per_query))
            elif isinstance(evaluator, SharedTripletEvaluator):
                per_item[TRIPLET_KEY] = _outcomes(evaluator.last_outcomes)
            elif isinstance(evaluator, KnnAccuracyEvaluator):
                per_item[KNN_KEY] = _outcomes(evaluator.last_correct)
        if self.scorer is not None:
            with self.section(SERVING_VARIANTS):
                self.scorer.calibrate(model)
                variant_items = _variant_items(self.scorer, model, self.inner.evaluators)
            per_item.update(variant_items)
            raw.update({key: float(np.mean(list(by_item.values()))) for key, by_item in variant_items.items()})
        self.last_items = per_item
        return raw


@contextmanager
def _untimed(phase: str):
    yield


def _variant_items(scorer, model, evaluators) -> dict[str, dict[str, float]]:
    """Each variant's per-item figures, {`ndcg_at_10-128d-int8`: {query id: figure}}, from the embeddings each
    evaluator encoded in this call."""
    from trainables.evaluation.knn_accuracy_evaluator import KnnAccuracyEvaluator
    from trainables.evaluation.shared_encodings import SharedRetrievalEvaluator, SharedTripletEvaluator

    scorers = {SharedRetrievalEvaluator: _retrieval_variants, SharedTripletEvaluator: _triplet_variants, KnnAccuracyEvaluator: _knn_variants}
    items: dict[str, dict[str, float]] = {}
    for evaluator in evaluators:
        for kind, score_variants in scorers.items():
            if isinstance(evaluator, kind):
                items.update(score_variants(scorer, model, evaluator))
    return items


def _retrieval_variants(scorer, model, evaluator) -> dict[str, dict[str, float]]:
    from trainables.evaluation.serving_variant_scorer import similarities

    items = {}
    queries, corpus = evaluator.encodings(model)
    for variant in scorer.variants:
        query_codes, corpus_codes = scorer.codes(queries, variant), scorer.codes(corpus, variant)
        figures = evaluator.ranked_figures(lambda start, stop: similarities(query_codes[start:stop], corpus_codes, variant.precision))
        for key, by_query in _per_query_figures(evaluator.name, {"cosine": evaluator.by_query(figures)}).items():
            items[variant.key(key)] = by_query
    return items


def _triplet_variants(scorer, model, evaluator) -> dict[str, dict[str, float]]:
    from trainables.evaluation.serving_variant_scorer import pair_similarities

    items = {}
    anchors, positives, negatives = evaluator.encodings(model)
    for variant in scorer.variants:
        anchor_codes = scorer.codes(anchors, variant)
        outcomes = (pair_similarities(anchor_codes, scorer.codes(positives, variant), variant.precision)
                    > pair_similarities(anchor_codes, scorer.codes(negatives, variant), variant.precision))
        items[variant.key(TRIPLET_KEY)] = _outcomes(outcomes.tolist())
    return items


def _knn_variants(scorer, model, evaluator) -> dict[str, dict[str, float]]:
    from trainables.evaluation.serving_variant_scorer import similarities

    reference, texts = evaluator.last_embeddings
    return {variant.key(KNN_KEY): _outcomes(evaluator.correct_by_similarity(
        similarities(scorer.codes(texts, variant), scorer.codes(reference, variant), variant.precision))) for variant in scorer.variants}


def _sts_variants(scorer, evaluation_set: ScoredPairSet, first, second) -> tuple[dict, dict]:
    """Each variant's correlations and pair similarities, from the pairs' one full-size encoding."""
    from scipy.stats import pearsonr, spearmanr

    from trainables.evaluation.serving_variant_scorer import pair_similarities

    metrics, items = {}, {}
    for variant in scorer.variants:
        values = pair_similarities(scorer.codes(first, variant), scorer.codes(second, variant), variant.precision)
        similarities = {str(index): float(value) for index, value in enumerate(values.tolist())}
        for key, correlate in ((SPEARMAN_KEY, spearmanr), (PEARSON_KEY, pearsonr)):
            metrics[variant.key(key)] = float(correlate(evaluation_set.score, values).statistic)
            items[variant.key(key)] = similarities
    return metrics, items


def _outcomes(outcomes: list[bool]) -> dict[str, float]:
    return {str(index): float(outcome) for index, outcome in enumerate(outcomes)}


def _sts_in_detail(model, evaluation_set: ScoredPairSet, prompts: Prompts, batch_size: int) -> tuple[dict, dict, tuple]:
    """EmbeddingSimilarityEvaluator's own computation (scipy's correlations of the gold scores with pairwise cosine
    similarities), from one encoding that also gives each pair's similarity: a test split is encoded once, not twice.
    Returns (metrics, per-pair items, the two sides' embeddings)."""
    from scipy.stats import pearsonr, spearmanr
    from sentence_transformers.util import pairwise_cos_sim

    pairs = (_encode(model, evaluation_set.sentence1, prompts.query, batch_size), _encode(model, evaluation_set.sentence2, prompts.query, batch_size))
    values = pairwise_cos_sim(*pairs).tolist()
    similarities = {str(index): float(value) for index, value in enumerate(values)}
    metrics = {SPEARMAN_KEY: float(spearmanr(evaluation_set.score, values).statistic),
               PEARSON_KEY: float(pearsonr(evaluation_set.score, values).statistic)}
    gold = {str(index): float(score) for index, score in enumerate(evaluation_set.score)}
    return metrics, {SPEARMAN_KEY: similarities, PEARSON_KEY: similarities, GOLD_SCORES: gold}, pairs


def _per_query_figures(evaluator_name: str, per_query: dict) -> dict[str, dict[str, float]]:
    """A retrieval evaluator's per-query figures ({score function: {family: {cutoff: {query id: figure}}}}) under our
    metric keys (`ndcg_at_10`)."""
    figures = {}
    for score_name, families in per_query.items():
        for family, by_cutoff in families.items():
            for cutoff, by_query in by_cutoff.items():
                for ours in rename_evaluator_metrics({f"{evaluator_name}_{score_name}_{family.removesuffix('k')}{cutoff}": 0.0}):
                    figures[ours] = by_query
    return figures


def _encode(model, texts, prompt, batch_size):
    return model.encode(texts, prompt=prompt, batch_size=batch_size, convert_to_tensor=True, show_progress_bar=False)


def confidence_intervals(per_item: dict[str, dict[str, float]], seed: int = 0) -> dict[str, float]:
    """`<metric>_ci_low` / `_ci_high`: the 95% percentile bootstrap interval of each metric over its items (the mean of
    per-item scores; for a correlation, the correlation of pairs resampled with their gold scores)."""
    intervals = {}
    for key in per_item:
        result = _bootstrap(per_item, key, seed)
        if result is not None:
            intervals[key + CI_LOW_SUFFIX], intervals[key + CI_HIGH_SUFFIX] = result[0], result[1]
    return intervals


def standard_error(per_item: dict[str, dict[str, float]], key: str, seed: int = 0) -> float | None:
    """The bootstrap standard error of `key` over its items, as its interval is drawn; None without enough items."""
    result = _bootstrap(per_item, key, seed)
    return None if result is None else result[2]


def _bootstrap(per_item: dict[str, dict[str, float]], key: str, seed: int) -> tuple[float, float, float] | None:
    """(95% interval low, high, standard error) of one metric, or None for the gold scores and fewer than 3 items."""
    import numpy as np
    from scipy.stats import bootstrap

    if key == GOLD_SCORES or key not in per_item:
        return None
    scores = per_item[key]
    ids = sorted(scores)
    values = np.array([scores[item] for item in ids], dtype=float)
    if len(values) < 3:
        return None
    if is_correlation(key):
        kind, gold = correlation_kind(key), np.array([per_item[GOLD_SCORES][item] for item in ids], dtype=float)
        samples, paired = (values, gold), True

        def statistic(x, y, axis=-1, kind=kind):
            return correlation(kind, x, y, axis=axis)
    elif np.all(values == values[0]):  # nothing to resample: the interval is the value
        return float(values[0]), float(values[0]), 0.0
    else:
        samples, paired, statistic = (values,), False, np.mean
    result = bootstrap(samples, statistic, paired=paired, confidence_level=CONFIDENCE, n_resamples=RESAMPLES,
                       method="percentile", random_state=np.random.default_rng(seed))
    return float(result.confidence_interval.low), float(result.confidence_interval.high), float(result.standard_error)


def judge(run, model, eval_set: EvaluationSet, test_set: EvaluationSet, prompts: Prompts = NO_PROMPTS,
          eval_items: dict | None = None) -> tuple[dict, dict]:
    """The model a run stands for (a trial's kept checkpoint, an untrained baseline), judged once on both splits:
    its per-item scores are logged as artifacts, for paired comparisons by the leaderboard and promotion.
    `eval_items`: the eval split's, where the evaluation that kept the model already has them (then the eval
    metrics come back empty: that evaluation logged them). Returns (eval metrics, test metrics with their 95%
    intervals, `test_`-prefixed)."""
    eval_metrics = {}
    if eval_items is None:
        eval_metrics, eval_items = evaluate_in_detail(model, eval_set, prompts)
    test_metrics, test_items = evaluate_in_detail(model, test_set, prompts)
    run.log_dict(eval_items, f"{PER_QUERY_ARTIFACTS}/eval.json")
    run.log_dict(test_items, f"{PER_QUERY_ARTIFACTS}/test.json")
    return eval_metrics, {TEST_PREFIX + key: value for key, value in {**test_metrics, **confidence_intervals(test_items)}.items()}
