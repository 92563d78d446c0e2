"""Build sentence-transformers evaluators from a prepared evaluation set (trainables.contract.evaluation_sets), with
the trial's prompts: each task's builder is named in TASK_EVALUATORS, one per row of the task table."""

from __future__ import annotations

from collections.abc import Callable

from trainables.contract.evaluation_sets import EvaluationSet, LabelledTextSet, QueryCorpusSet, ScoredPairSet, Triplets
from trainables.contract.metrics import (
    IR_EVALUATOR_NAME,
    KNN_EVALUATOR_NAME,
    LABEL_RANKING_CUTOFFS,
    LABELS_EVALUATOR_NAME,
    STS_EVALUATOR_NAME,
    TRIPLET_EVALUATOR_NAME,
    ir_cutoffs,
)
from trainables.prompts import Prompts

NO_PROMPTS = Prompts()


def build_evaluator(evaluation_set: EvaluationSet, batch_size: int = 64, prompts: Prompts = NO_PROMPTS):
    """The task's evaluators, in one SharedEncodingEvaluator: a text two of them embed alike is encoded once per call."""
    from trainables.evaluation.shared_encodings import EncodingCache, SharedEncodingEvaluator

    cache = EncodingCache()
    return SharedEncodingEvaluator(TASK_EVALUATORS[evaluation_set.task](evaluation_set, batch_size, prompts, cache), cache)


def _retrieval_evaluators(evaluation_set: QueryCorpusSet, batch_size: int, prompts: Prompts, cache) -> list:
    return [retrieval_evaluator(evaluation_set, batch_size, prompts, cache),
            triplet_evaluator(evaluation_set.triplets, batch_size, prompts.query, prompts.document, cache)]


def _sts_evaluators(evaluation_set: ScoredPairSet, batch_size: int, prompts: Prompts, cache) -> list:
    return [sts_evaluator(evaluation_set, batch_size, prompts)]


def _classification_evaluators(evaluation_set: LabelledTextSet, batch_size: int, prompts: Prompts, cache) -> list:
    evaluators = [triplet_evaluator(evaluation_set.triplets, batch_size, prompts.query, prompts.query, cache),
                  knn_evaluator(evaluation_set, batch_size, prompts)]
    if evaluation_set.label_names:
        evaluators.append(label_ranking_evaluator(evaluation_set, batch_size, prompts, cache))
    return evaluators


# Task name -> the evaluators that judge it (the task table describes them in words; a test holds the two together).
TASK_EVALUATORS: dict[str, Callable[..., list]] = {
    QueryCorpusSet.task: _retrieval_evaluators,
    ScoredPairSet.task: _sts_evaluators,
    LabelledTextSet.task: _classification_evaluators,
}


def retrieval_evaluator(evaluation_set: QueryCorpusSet, batch_size: int, prompts: Prompts, cache):
    from trainables.evaluation.shared_encodings import SharedRetrievalEvaluator

    cutoffs = ir_cutoffs(evaluation_set.cutoffs)
    return SharedRetrievalEvaluator(
        queries=evaluation_set.queries,
        corpus=evaluation_set.corpus,
        relevant_docs={query_id: set(docs) for query_id, docs in evaluation_set.relevant.items()},
        name=IR_EVALUATOR_NAME,
        batch_size=batch_size,
        show_progress_bar=False,
        mrr_at_k=list(cutoffs["mrr"]),
        ndcg_at_k=list(cutoffs["ndcg"]),
        accuracy_at_k=[1, 10],
        precision_recall_at_k=list(cutoffs["recall"]),
        map_at_k=list(cutoffs["map"]),
        query_prompt=prompts.query,
        corpus_prompt=prompts.document,
        cache=cache,
    )


def label_ranking_evaluator(evaluation_set: LabelledTextSet, batch_size: int, prompts: Prompts, cache):
    """Each text ranks the label names, as a retrieval of its own label: recall@1/3/5 and MRR@10."""
    from trainables.evaluation.shared_encodings import SharedRetrievalEvaluator

    names = evaluation_set.label_names
    return SharedRetrievalEvaluator(
        queries={str(index): text for index, text in enumerate(evaluation_set.texts)},
        corpus={str(index): name for index, name in enumerate(names)},
        relevant_docs={str(index): {str(names.index(label))} for index, label in enumerate(evaluation_set.labels)},
        name=LABELS_EVALUATOR_NAME,
        batch_size=batch_size,
        show_progress_bar=False,
        mrr_at_k=list(LABEL_RANKING_CUTOFFS["mrr"]),
        ndcg_at_k=[10],
        accuracy_at_k=[1],
        precision_recall_at_k=list(LABEL_RANKING_CUTOFFS["recall"]),
        map_at_k=[10],
        query_prompt=prompts.query,
        corpus_prompt=prompts.query,
        cache=cache,
    )


def triplet_evaluator(triplets: Triplets, batch_size: int, anchor_prompt: str | None, other_prompt: str | None, cache):
    from trainables.evaluation.shared_encodings import SharedTripletEvaluator

    return SharedTripletEvaluator(
        anchors=list(triplets.anchor),
        positives=list(triplets.positive),
        negatives=list(triplets.negative),
        name=TRIPLET_EVALUATOR_NAME,
        similarity_fn_names=["cosine"],
        batch_size=batch_size,
        show_progress_bar=False,
        cache=cache,
        anchor_prompt=anchor_prompt,
        other_prompt=other_prompt,
    )


def sts_evaluator(evaluation_set: ScoredPairSet, batch_size: int, prompts: Prompts):
    from sentence_transformers.sentence_transformer.evaluation import EmbeddingSimilarityEvaluator

    prompt = prompts.query or ""  # both sentences are of one kind
    return EmbeddingSimilarityEvaluator(
        [prompt + text for text in evaluation_set.sentence1], [prompt + text for text in evaluation_set.sentence2],
        evaluation_set.score, batch_size=batch_size, similarity_fn_names=["cosine"], name=STS_EVALUATOR_NAME,
        show_progress_bar=False, write_csv=False)


def knn_evaluator(evaluation_set: LabelledTextSet, batch_size: int, prompts: Prompts):
    from trainables.evaluation.knn_accuracy_evaluator import KnnAccuracyEvaluator

    reference = evaluation_set.reference
    return KnnAccuracyEvaluator(evaluation_set.texts, evaluation_set.labels, reference.texts, reference.labels,
                                name=KNN_EVALUATOR_NAME, batch_size=batch_size, prompt=prompts.query)
